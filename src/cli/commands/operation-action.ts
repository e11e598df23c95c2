import { findOperationMacro, runOperation } from '../../dbt/run/operation.ts';
import { parseVars } from '../../dbt/session.ts';
import { DemaError, errorMessage } from '../../errors.ts';
import { connectForCommand, type GlobalOptions } from '../context.ts';
import type { Output } from '../output.ts';
import { type DbtFlags, prepareProject } from './dbt-actions.ts';

/**
 * `dema run-operation MACRO --args YAML`: what the macro prints is the command's output, on stdout
 * even with --quiet (so `dema --quiet run-operation generate_model_yaml … > x.yml` works, as in dbt).
 */
export async function operationAction(
  global: GlobalOptions,
  macro: string,
  flags: DbtFlags & { args?: string },
  output: Output,
): Promise<number> {
  const prepared = prepareProject(global, flags, 'run-operation', output);
  const args = parseVars(flags.args, '--args');
  findOperationMacro(prepared.parsed, macro);
  const warehouse = await connectForCommand(prepared.target.target, global, output.reporter);
  try {
    await runOperation(prepared.parsed, warehouse, {
      macro,
      args,
      invocationId: prepared.invocationId,
      // print() is the operation's output; log() and exceptions.warn go the way of every command's
      // (a log line --quiet hides; a warning --warn-error makes an error).
      log: (level, message, event) =>
        event === 'print' ? output.line(message) : prepared.parsed.context.log(level, message, event),
    }).catch((error: unknown) => {
      // As dbt's RunOperationTask: whatever fails once the macro runs is a failed operation (exit 1),
      // not a usage error, even a compilation error raised by the macro.
      throw new DemaError(
        'OPERATION_FAILED',
        `Encountered an error while running operation ${macro}: ${error instanceof DemaError ? `[${error.code}] ` : ''}${errorMessage(error)}`,
        { cause: error, ...(error instanceof DemaError && error.hint ? { hint: error.hint } : {}) },
      );
    });
  } finally {
    await warehouse.close();
  }
  return 0;
}
