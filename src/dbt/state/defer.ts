import type { DbtNode } from '../manifest/types.ts';
import type { PreviousState } from './previous-state.ts';

/**
 * `--defer` (dbt ≥1.5): a ref() to a node that is *not selected* resolves to the relation the state
 * manifest records for it when the node's relation does not exist in the current target — or, with
 * `--favor-state`, whenever the state holds it. Selected nodes never defer (they are being built
 * now); ephemeral models never do (they are CTEs); a node absent from the state resolves as usual.
 */

export interface Deferral {
  readonly state: PreviousState;
  readonly favorState: boolean;
}

export interface DeferredRelation {
  readonly schema: string;
  readonly identifier: string;
}

export function deferredRelation(
  deferral: Deferral,
  target: DbtNode,
  selected: ReadonlySet<string>,
  existsInTarget: boolean,
): DeferredRelation | undefined {
  if (selected.has(target.uniqueId)) return undefined;
  if (target.resourceType !== 'model' && target.resourceType !== 'seed' && target.resourceType !== 'snapshot')
    return undefined;
  const old = deferral.state.nodes.get(target.uniqueId);
  if (!old) return undefined;
  const config = (old.config ?? {}) as Record<string, unknown>;
  if (config.materialized === 'ephemeral') return undefined;
  if (existsInTarget && !deferral.favorState) return undefined;
  const schema = typeof old.schema === 'string' ? old.schema : undefined;
  const identifier =
    typeof old.alias === 'string' ? old.alias : typeof old.name === 'string' ? old.name : undefined;
  if (!schema || !identifier) return undefined;
  return { schema, identifier };
}
