// The smart hosts' failures and cool-offs, shared by every instance. Seam: the cool-off rows come
// with issue 11's cool-off work; until then no host ever cools off (one host has nothing to skip to).
import type { TableClient } from '@azure/data-tables';
import type { SmartHostHealth } from '../relay/ports';

export class SmartHostHealthStore implements SmartHostHealth {
  constructor(private readonly table: TableClient) {}

  coolingUntil(): Promise<Date | undefined> {
    void this.table;
    return Promise.resolve(undefined);
  }

  recordFailure(): Promise<Date | undefined> {
    return Promise.resolve(undefined);
  }

  recordSuccess(): Promise<void> {
    return Promise.resolve();
  }
}
