// node stryker/summary.mjs <module>...: one line of counts per module from reports/mutation/<module>.json,
// then every mutant left alive (survived / no coverage) with its line and replacement.
import { readFileSync } from 'node:fs';

for (const name of process.argv.slice(2)) {
  const report = JSON.parse(readFileSync(`reports/mutation/${name}.json`, 'utf8'));
  const count = {};
  const alive = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) {
      count[m.status] = (count[m.status] ?? 0) + 1;
      if (m.status === 'Survived' || m.status === 'NoCoverage')
        alive.push(
          `  ${m.status.padEnd(10)} ${file}:${m.location.start.line} ${m.mutatorName}: ${m.replacement.replace(/\s+/g, ' ').slice(0, 110)}`,
        );
    }
  }
  const total = Object.values(count).reduce((a, b) => a + b, 0);
  const detected = (count.Killed ?? 0) + (count.Timeout ?? 0);
  const valid = total - (count.CompileError ?? 0) - (count.RuntimeError ?? 0) - (count.Ignored ?? 0);
  console.log(
    `${name}: ${total} mutants, killed ${count.Killed ?? 0}, survived ${count.Survived ?? 0}, timeout ${count.Timeout ?? 0}, no coverage ${count.NoCoverage ?? 0}, errors ${(count.CompileError ?? 0) + (count.RuntimeError ?? 0)}, score ${((100 * detected) / valid).toFixed(2)}%`,
  );
  for (const line of alive) console.log(line);
}
