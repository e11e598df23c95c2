import type { DbtNode } from '../manifest/types.ts';

/** dbt's one-line description of a node in live output, e.g. "sql table model dema.orders". */
export function describeNode(node: DbtNode, command: string): string {
  if (node.resourceType === 'test') return `test ${node.name}`;
  if (node.resourceType === 'analysis') return `analysis ${node.name}`;
  if (node.resourceType === 'seed') return `seed file ${node.schema}.${node.alias}`;
  if (node.resourceType === 'snapshot') return `snapshot ${node.schema}.${node.alias}`;
  if (command === 'compile') return `model ${node.schema}.${node.alias}`;
  return `sql ${String(node.config.materialized)} model ${node.schema}.${node.alias}`;
}
