import type { TargetConfig } from '../config/dema-config.ts';
import { ChdbWarehouse } from './embedded/chdb-warehouse.ts';
import { ServerWarehouse } from './server/server-warehouse.ts';
import type { Warehouse } from './warehouse.ts';

/** Opens the warehouse a resolved target describes. The only place that picks a transport. */
export function connectWarehouse(target: TargetConfig): Promise<Warehouse> {
  switch (target.type) {
    case 'chdb':
      return ChdbWarehouse.open({ path: target.path, database: target.schema });
    case 'clickhouse':
      return ServerWarehouse.connect({
        host: target.host,
        port: target.port,
        secure: target.secure,
        user: target.user,
        password: target.password,
        database: target.schema,
        requestTimeoutMs: target.request_timeout_ms,
        settings: target.settings,
      });
  }
}
