import type { TargetConfig } from '../config/dema-config.ts';
import type { Warehouse } from './warehouse.ts';

/**
 * Opens the warehouse a resolved target describes. The only place that picks a transport; each
 * transport's module (and its client library) is loaded only when a target uses it. With `lock`,
 * the warehouse lock is held until close() (the embedded store is always locked).
 */
export async function connectWarehouse(
  target: TargetConfig,
  options: { readonly lock?: { readonly waitMs: number } } = {},
): Promise<Warehouse> {
  switch (target.type) {
    case 'chdb': {
      const { ChdbWarehouse } = await import('./embedded/chdb-warehouse.ts');
      return ChdbWarehouse.open({
        path: target.path,
        database: target.schema,
        settings: target.settings ?? {},
        ...(options.lock ? { lockWaitMs: options.lock.waitMs } : {}),
      });
    }
    case 'clickhouse': {
      const { ServerWarehouse } = await import('./server/server-warehouse.ts');
      return ServerWarehouse.connect({
        host: target.host,
        port: target.port,
        secure: target.secure,
        user: target.user,
        password: target.password,
        database: target.schema,
        requestTimeoutMs: target.request_timeout_ms,
        ...(target.connect_timeout_ms ? { connectTimeoutMs: target.connect_timeout_ms } : {}),
        settings: target.settings,
        ...(options.lock ? { lockWaitMs: options.lock.waitMs } : {}),
      });
    }
  }
}
