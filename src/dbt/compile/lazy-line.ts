/**
 * A template from YAML (a test's `ref('…')` argument, a source's `{{ target.schema }}`) carries its
 * entry's line so errors name it. Finding that line parses the YAML file again with positions, tens
 * of milliseconds per file on every command: so the template is first rendered at line 0, and only a
 * failure renders it again at the real line, to throw the same error where it belongs.
 */
export function atLazyLine<T>(
  render: (lineOffset: number) => T,
  lineOf: (() => number | undefined) | undefined,
): T {
  try {
    return render(0);
  } catch {
    return render((lineOf?.() ?? 1) - 1);
  }
}
