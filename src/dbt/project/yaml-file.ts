import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { DemaError } from '../../errors.ts';

/** A parsed YAML file that can say on which line a value sits, for errors that point at the file. */
export interface YamlFile {
  readonly path: string;
  readonly data: unknown;
  lineOf(path: readonly (string | number)[]): number | undefined;
}

export function readYamlFile(absolutePath: string, displayPath: string): YamlFile {
  const text = readFileSync(absolutePath, 'utf8');
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true });
  const problem = document.errors[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line;
    throw new DemaError(
      'PARSE_YAML',
      `${displayPath}${line ? `:${line}` : ''}: ${problem.message.split('\n')[0]}`,
      {
        hint: 'Fix the YAML syntax (indentation, colons, quotes) at that line.',
      },
    );
  }
  return {
    path: displayPath,
    data: document.toJS(),
    lineOf(path) {
      let node: unknown = document.contents;
      for (const key of path) {
        if (isMap(node)) node = node.get(key, true);
        else if (isSeq(node)) node = node.get(key as number, true);
        else break;
      }
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      return range ? lineCounter.linePos(range[0]).line : undefined;
    },
  };
}
