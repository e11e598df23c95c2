import type { TargetConfig } from '../config/dema-config.ts';
import type { Warehouse } from './warehouse.ts';

/**
 * Opens the warehouse a resolved target describes. The only place that picks a transport; each
 * transport's module (and its client library) is loaded only when a target uses it.
 */
export async function connectWarehouse(target: TargetConfig): Promise<Warehouse> {
  switch (target.type) {
    case 'chdb': {
      const { ChdbWarehouse } = await import('./embedded/chdb-warehouse.ts');
      return ChdbWarehouse.open({ path: target.path, database: target.schema });
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
      });
    }
  }
}
