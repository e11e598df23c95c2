import { open } from 'node:fs/promises';
import { DemaError } from '../errors.ts';
import { parseHeader } from './csv-scanner.ts';

const HEADER_LIMIT = 1 << 16;

/** Reads the header line; returns the names and the byte offset where data starts. */
export async function readHeader(path: string): Promise<{ names: string[]; dataOffset: number }> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(HEADER_LIMIT);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_LIMIT, 0);
    if (bytesRead === 0)
      throw new DemaError('INGEST_HEADER', `${path} is empty: expected a header line.`, {
        hint: 'Check the export.',
      });
    const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
    if (newline < 0 && bytesRead === HEADER_LIMIT)
      throw new DemaError('INGEST_HEADER', `${path}: no line break in the first 64 KiB.`, {
        hint: 'Is this a CSV file?',
      });
    const end = newline < 0 ? bytesRead : newline;
    const text = buffer.toString('utf8', 0, end > 0 && buffer[end - 1] === 0x0d ? end - 1 : end);
    return { names: parseHeader(text), dataOffset: newline < 0 ? bytesRead : newline + 1 };
  } finally {
    await handle.close();
  }
}

/** The header must name exactly the declared columns in the declared order; otherwise nothing loads. */
export function checkHeader(
  file: string,
  source: string,
  expected: readonly string[],
  found: readonly string[],
): void {
  if (expected.length === found.length && expected.every((name, i) => name === found[i])) return;
  const missing = expected.filter((name) => !found.includes(name));
  const unexpected = found.filter((name) => !expected.includes(name));
  const details = [
    `expected: ${expected.join(',')}`,
    `found:    ${found.join(',')}`,
    missing.length ? `missing: ${missing.join(', ')}` : '',
    unexpected.length ? `not declared: ${unexpected.join(', ')}` : '',
    !missing.length && !unexpected.length ? 'same columns in a different order' : '',
  ].filter(Boolean);
  throw new DemaError(
    'INGEST_HEADER',
    `${file}:1: header of source "${source}" does not match its declared columns.\n  ${details.join('\n  ')}`,
    {
      hint: "Fix the export, or update the source's columns in dema.yml (and the models that read them). Nothing was loaded.",
    },
  );
}
