import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DemaError } from '../../errors.ts';
import { readYamlFile } from '../project/yaml-file.ts';

/**
 * packages.yml / dependencies.yml: dbt_utils is built into dema, so it needs no download; any other
 * package cannot be installed here and is a clear error, not a silently missing macro.
 */
export function checkPackages(projectDir: string): void {
  for (const name of ['packages.yml', 'dependencies.yml']) {
    const file = join(projectDir, name);
    if (!existsSync(file)) continue;
    const yaml = readYamlFile(file, name);
    const entries = ((yaml.data as { packages?: unknown[] } | null)?.packages ?? []) as Record<
      string,
      unknown
    >[];
    entries.forEach((entry, index) => {
      const spec = String(entry.package ?? entry.git ?? entry.local ?? entry.tarball ?? entry.private ?? '');
      if (/(^|[/:])dbt[-_]utils(\.git)?\/?$/.test(spec) || /dbt-labs\/dbt_utils/.test(spec)) return;
      const line = yaml.lineOf(['packages', index]);
      throw new DemaError(
        'PARSE_PROJECT',
        `${name}${line ? `:${line}` : ''}: package "${spec}" is not supported.`,
        {
          hint: 'dema provides dbt_utils built in and installs nothing else (no network). Copy the macros you need into your macro-paths, or remove the package.',
        },
      );
    });
  }
}
