// The smart hosts' health in memory: `threshold` failures in a row cool a host off for `coolOffSeconds`.
import type { CallLog, Faults } from './fakes';
import type { SmartHostCoolOff, SmartHostHealth } from '../../src/relay/ports';

export class FakeSmartHostHealth implements SmartHostHealth {
  readonly failures = new Map<string, number>();
  readonly coolOffs = new Map<string, Date>();
  readonly recorded: { name: string; reason: string }[] = [];
  /** by name: when its current run of failures began, and the run behind each cool-off */
  private readonly runStarts = new Map<string, Date>();
  private readonly coolOffRuns = new Map<string, { failures: number; since: Date; reason: string }>();

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
    public threshold = 3,
    public coolOffSeconds = 300,
  ) {}

  coolingUntil(name: string, now: Date): Promise<Date | undefined> {
    const until = this.coolOffs.get(name);
    return Promise.resolve(until && until > now ? until : undefined);
  }

  recordFailure(name: string, reason: string, now: Date): Promise<Date | undefined> {
    this.faults.check(this.calls, 'smartHostHealth.recordFailure');
    this.recorded.push({ name, reason });
    const count = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, count);
    if (!this.runStarts.has(name)) this.runStarts.set(name, now);
    if (count < this.threshold) return Promise.resolve(undefined);
    const until = new Date(now.getTime() + this.coolOffSeconds * 1000);
    this.coolOffs.set(name, until);
    this.coolOffRuns.set(name, { failures: count, since: this.runStarts.get(name) ?? now, reason });
    this.failures.delete(name);
    this.runStarts.delete(name);
    return Promise.resolve(until);
  }

  recordSuccess(name: string): Promise<void> {
    this.runStarts.delete(name);
    if (this.failures.delete(name)) this.calls.push('smartHostHealth.recordSuccess');
    return Promise.resolve();
  }

  list(now: Date): Promise<SmartHostCoolOff[]> {
    this.faults.check(this.calls, 'smartHostHealth.list');
    const coolOffs = [...this.coolOffs]
      .filter(([, until]) => until > now)
      .map(([name, until]) => ({ name, until, ...(this.coolOffRuns.get(name) ?? { failures: this.threshold, since: until, reason: '' }) }));
    return Promise.resolve(coolOffs.sort((a, b) => a.name.localeCompare(b.name)));
  }
}
