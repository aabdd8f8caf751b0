// In-memory fake of the applied upstream events (src/relay/ports.ts AppliedEvents), beside the
// storage fakes of ./fakes.ts: insert-if-absent, same call log and injected faults.
import type { AppliedEvents } from '../../src/relay/ports';
import { asAsync, type CallLog, type Faults } from './fakes';

export class FakeAppliedEvents implements AppliedEvents {
  /** "source\nevent id" of every event recorded */
  readonly applied = new Set<string>();

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
  ) {}

  firstTime(source: string, eventId: string): Promise<boolean> {
    return asAsync(() => {
      this.faults.check(this.calls, 'appliedEvents.firstTime');
      const key = `${source}\n${eventId}`;
      if (this.applied.has(key)) return false;
      this.applied.add(key);
      return true;
    });
  }

  forget(source: string, eventId: string): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, 'appliedEvents.forget');
      this.applied.delete(`${source}\n${eventId}`);
    });
  }
}
