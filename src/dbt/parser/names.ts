/** Names and places of project files: FQNs, stems, lines, and near-miss suggestions. */

import { editDistance } from '../edit-distance.ts';

export function stem(path: string): string {
  return path
    .split('/')
    .at(-1)!
    .replace(/\.[^.]+$/, '');
}

/** Path below the resource root, e.g. models/staging/x.sql under "models" → staging/x.sql. */
export function below(root: string, relative: string): string {
  return relative.slice(root.replace(/\/$/, '').length + 1);
}

export function fqnFor(packageName: string, pathBelowRoot: string): string[] {
  const parts = pathBelowRoot.split('/');
  return [packageName, ...parts.slice(0, -1), stem(pathBelowRoot)];
}

export function lineOfText(text: string, needle: RegExp): number | undefined {
  const match = needle.exec(text);
  if (!match) return undefined;
  return text.slice(0, match.index).split('\n').length;
}

export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** "Did you mean …?" for a name that is not found, from the close ones. */
export function suggestion(
  name: string,
  candidates: string[],
  otherwise = 'Check the model name; `dema ls` lists them.',
): string {
  const close = candidates
    .filter((candidate) => editDistance(candidate, name) <= Math.max(2, Math.floor(name.length / 4)))
    .slice(0, 3);
  return close.length > 0 ? `Did you mean ${close.map((c) => `'${c}'`).join(' or ')}?` : otherwise;
}

/** A node's file as messages name it: relative to the root project (`dbt_packages/p/models/x.sql`). */
export function nodeFile(node: { readonly originalFilePath: string; readonly packageDir?: string }): string {
  return node.packageDir ? `${node.packageDir}/${node.originalFilePath}` : node.originalFilePath;
}
