import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GENERATE_DEFAULTS, generate } from '../../src/generate/generate.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import {
  openTestWarehouse,
  serverSkipReason,
  type Transport,
  tempDir,
  testTarget,
  writeProjectConfig,
} from '../helpers/fixtures.ts';

const serverSkip = await serverSkipReason();

// A file with bad rows takes the checking path: many small chunks each wait for the insert to
// drain. Each wait once left a listener behind, and Node warned of a leak (MaxListeners) on big files.
for (const transport of ['embedded', 'server'] as Transport[])
  test(`${transport}: a load in many chunks leaks no listeners (no process warning)`, {
    skip: transport === 'server' && serverSkip,
  }, async (t) => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    const dir = tempDir(t);
    await generate({
      ...GENERATE_DEFAULTS,
      outDir: dir,
      orderLines: 4000,
      styles: 40,
      badRate: 0.01,
      seed: 5,
    });
    const config = writeProjectConfig(dir, testTarget(transport, dir), { max_rejects: 1000 });
    const warehouse = await openTestWarehouse(t, config.targets.test!);
    const outcomes = await ingest(
      config,
      warehouse,
      { only: ['orders'], locations: {}, force: false, chunkBytes: 16 << 10 },
      { emit: () => {} },
    );
    assert.equal(outcomes[0]?.status, 'success');
    const record = outcomes[0]?.status === 'success' ? outcomes[0].record : undefined;
    assert.ok((record?.rows_rejected ?? 0) > 0, 'the file took the checking path (it has bad rows)');
    assert.ok((record?.bytes ?? 0) > 20 * (16 << 10), 'more than 20 chunks');
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings, []);
  });
