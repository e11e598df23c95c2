import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Files under `dirs` (relative to the project) whose names end with one of `extensions`, sorted, with project-relative paths. */
export function listFiles(
  projectDir: string,
  dirs: readonly string[],
  extensions: readonly string[],
): { absolute: string; relative: string; root: string }[] {
  const found: { absolute: string; relative: string; root: string }[] = [];
  for (const root of dirs) {
    const start = join(projectDir, root);
    if (!existsSync(start)) continue;
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
        a.name.localeCompare(b.name),
      )) {
        if (entry.name.startsWith('.')) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (extensions.some((extension) => entry.name.endsWith(extension)))
          found.push({ absolute: path, relative: relative(projectDir, path).split(sep).join('/'), root });
      }
    };
    walk(start);
  }
  return found;
}
