import type { Warehouse } from '../../src/warehouse/warehouse.ts';

/**
 * The warehouse with its `failAt`-th write (command or byte insert, 1-based) failing without
 * running; every write is recorded in `seen` (0 never fails: a clean run that lists the writes).
 */
export function failingAt(warehouse: Warehouse, failAt: number, seen: string[]): Warehouse {
  let count = 0;
  const wrap =
    (name: 'command' | 'insertBytes') =>
    async (...args: unknown[]) => {
      count++;
      seen.push(name === 'command' ? String(args[0]) : 'insert bytes');
      if (count === failAt) throw new Error(`injected failure at write ${count}`);
      return (warehouse[name] as (...a: unknown[]) => Promise<unknown>).apply(warehouse, args);
    };
  return new Proxy(warehouse, {
    get(target, property, receiver) {
      if (property === 'command' || property === 'insertBytes') return wrap(property);
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Whether `statement` replaces the live table `name` (EXCHANGE or RENAME onto it). */
export const publishes = (statement: string, name: string) =>
  /^(exchange tables|rename table)/.test(statement) && statement.split('\n')[0]!.includes(`\`${name}\``);
