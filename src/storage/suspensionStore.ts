// Suspended and slowed destinations and smart hosts, in the suspensions table.
// interim: the reactions branch replaces this with the real adapter.
import type { TableClient } from '@azure/data-tables';
import type { SuspendableKind } from '../core/policy/types';
import type { Suspension, Suspensions } from '../relay/ports';

export class SuspensionStore implements Suspensions {
  constructor(private readonly table: TableClient) {}

  activeFor(kind: SuspendableKind, name: string, now: Date): Promise<Suspension | undefined> {
    void [kind, name, now, this.table];
    return Promise.resolve(undefined);
  }

  list(now: Date): Promise<Suspension[]> {
    void now;
    return Promise.resolve([]);
  }

  put(suspension: Suspension): Promise<'created' | 'replaced'> {
    void suspension;
    return Promise.reject(new Error('suspensions are not stored yet'));
  }

  lift(kind: SuspendableKind, name: string): Promise<boolean> {
    void [kind, name];
    return Promise.resolve(false);
  }

  countMatch(rule: string, kind: SuspendableKind, name: string, windowSeconds: number, at: Date): Promise<number> {
    void [rule, kind, name, windowSeconds, at];
    return Promise.resolve(1);
  }
}
