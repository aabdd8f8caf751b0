// The smart hosts' health in memory: `threshold` failures in a row cool a host off for `coolOffSeconds`.
import type { CallLog, Faults } from './fakes';
import type { SmartHostCoolOff, SmartHostHealth } from '../../src/relay/ports';

export class FakeSmartHostHealth implements SmartHostHealth {
  readonly failures = new Map<string, number>();
  readonly coolOffs = new Map<string, Date>();
  readonly recorded: { name: string; reason: string }[] = [];

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
    this.calls.push('smartHostHealth.recordFailure');
    this.faults.check(this.calls, 'smartHostHealth.recordFailure');
    this.recorded.push({ name, reason });
    const count = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, count);
    if (count < this.threshold) return Promise.resolve(undefined);
    const until = new Date(now.getTime() + this.coolOffSeconds * 1000);
    this.coolOffs.set(name, until);
    this.failures.delete(name);
    return Promise.resolve(until);
  }

  recordSuccess(name: string): Promise<void> {
    if (this.failures.delete(name)) this.calls.push('smartHostHealth.recordSuccess');
    return Promise.resolve();
  }

  list(now: Date): Promise<SmartHostCoolOff[]> {
    const coolOffs = [...this.coolOffs]
      .filter(([, until]) => until > now)
      .map(([name, until]) => ({
        name,
        until,
        failures: this.threshold,
        since: until,
        reason: [...this.recorded].reverse().find((r) => r.name === name)?.reason ?? '',
      }));
    return Promise.resolve(coolOffs.sort((a, b) => a.name.localeCompare(b.name)));
  }
}
