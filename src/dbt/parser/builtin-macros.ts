import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractBlocks } from '../jinja/blocks.ts';
import { type MacroDef, macroDefsFromBlocks } from '../jinja/macros.ts';

// The .sql files live in src/dbt/builtins; compiled code in dist/dbt/parser reads them from there too.
const HERE = dirname(fileURLToPath(import.meta.url));
const BUILTINS_DIR = [
  join(HERE, '..', 'builtins'),
  join(HERE, '..', '..', '..', 'src', 'dbt', 'builtins'),
].find((dir) => existsSync(dir))!;

let cached: MacroDef[] | undefined;

/** dema's own implementations of dbt's global macros (package `dbt`) and of dbt_utils (package `dbt_utils`). */
export function builtinMacros(): MacroDef[] {
  if (cached) return cached;
  const defs: MacroDef[] = [];
  for (const packageName of ['dbt', 'dbt_utils'])
    for (const file of readdirSync(join(BUILTINS_DIR, packageName))
      .filter((name) => name.endsWith('.sql'))
      .sort()) {
      const text = readFileSync(join(BUILTINS_DIR, packageName, file), 'utf8');
      defs.push(...macroDefsFromBlocks(extractBlocks(text), packageName, `builtin://${packageName}/${file}`));
    }
  cached = defs;
  return defs;
}

const shims = new Map<string, MacroDef[]>();

/**
 * dema's ClickHouse implementations for installed packages' dispatched macros (dbt-clickhouse
 * style `clickhouse__name`, or a replacement of a non-dispatched macro that is wrong on ClickHouse),
 * from `builtins/packages/<package>/`, registered in the package's own namespace.
 */
export function packageShims(packageName: string, defined: ReadonlySet<string>): MacroDef[] {
  let defs = shims.get(packageName);
  if (!defs) {
    defs = [];
    const dir = join(BUILTINS_DIR, 'packages', packageName);
    if (existsSync(dir))
      for (const file of readdirSync(dir)
        .filter((name) => name.endsWith('.sql'))
        .sort()) {
        const text = readFileSync(join(dir, file), 'utf8');
        defs.push(
          ...macroDefsFromBlocks(
            extractBlocks(text),
            packageName,
            `builtin://packages/${packageName}/${file}`,
          ),
        );
      }
    shims.set(packageName, defs);
  }
  // `clickhouse__` implementations join the package's dispatch unless it has its own; any other
  // name replaces the package's macro (registered after it).
  return defs.filter((def) => !def.name.startsWith('clickhouse__') || !defined.has(def.name));
}
