/**
 * dbt's top-level block split: a macro file holds `{% macro %}`, `{% test %}`, `{% materialization %}`
 * and `{% docs %}` blocks; each becomes its own unit (dbt-semantics.md §3.1). Line numbers are kept
 * so errors inside a block point at the file's real line.
 */

export interface TopLevelBlock {
  readonly kind: 'macro' | 'test' | 'docs' | 'materialization' | 'snapshot';
  readonly name: string;
  /** For macro/test: the parameter list text inside the parentheses. */
  readonly params: string;
  readonly body: string;
  /** The whole block's text, from the opening tag to the end tag. */
  readonly source: string;
  /** 1-based line of the opening tag. */
  readonly line: number;
  /** Whitespace control on the tags: `-%}` after the opening, `{%-` before the closing. */
  readonly trimAfterOpen: boolean;
  readonly trimBeforeClose: boolean;
}

const OPEN =
  /\{%-?\s*(macro|test|docs|materialization|snapshot)\s+([A-Za-z_][\w]*)\s*(\(([\s\S]*?)\))?\s*(,[^%]*)?-?%\}/g;

export function extractBlocks(text: string): TopLevelBlock[] {
  const blocks: TopLevelBlock[] = [];
  OPEN.lastIndex = 0;
  for (let match = OPEN.exec(text); match; match = OPEN.exec(text)) {
    const kind = match[1] as TopLevelBlock['kind'];
    const end = new RegExp(`\\{%-?\\s*end${kind}\\s*-?%\\}`, 'g');
    end.lastIndex = match.index + match[0].length;
    const close = end.exec(text);
    if (!close) {
      const line = lineAt(text, match.index);
      throw new BlockError(`line ${line}: {% ${kind} ${match[2]} %} has no {% end${kind} %}`, line);
    }
    blocks.push({
      kind,
      name: match[2]!,
      params: match[4] ?? '',
      body: text.slice(match.index + match[0].length, close.index),
      source: text.slice(match.index, close.index + close[0].length),
      line: lineAt(text, match.index),
      trimAfterOpen: match[0].endsWith('-%}'),
      trimBeforeClose: close[0].startsWith('{%-'),
    });
    OPEN.lastIndex = close.index + close[0].length;
  }
  return blocks;
}

export class BlockError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
