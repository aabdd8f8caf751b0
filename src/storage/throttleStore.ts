// Rate slots and in-flight leases shared by every instance, in the shaping table.
// interim: the throttle branch replaces this with the Table Storage design of docs/adr/0009.
import type { TableClient } from '@azure/data-tables';
import type { ThrottleLease, ThrottleLimit, Throttles, WindowReservation } from '../relay/ports';

export class ThrottleStore implements Throttles {
  constructor(private readonly table: TableClient) {}

  reserve(limits: readonly ThrottleLimit[], now: Date): Promise<Date> {
    void limits;
    void this.table;
    return Promise.resolve(now);
  }

  reserveInWindows(limits: readonly ThrottleLimit[], now: Date): Promise<WindowReservation> {
    void limits;
    return Promise.resolve({ at: now });
  }

  acquire(key: string, concurrency: number, owner: string, until: Date): Promise<ThrottleLease | { busyUntil: Date }> {
    void concurrency;
    return Promise.resolve({ key, place: 0, owner, until });
  }

  release(lease: ThrottleLease): Promise<void> {
    void lease;
    return Promise.resolve();
  }
}
