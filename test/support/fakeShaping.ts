// In-memory fakes of the delivery policy's shared state (src/relay/ports.ts Throttles, Suspensions),
// for the unit tier: same call log and injected faults as ./fakes.ts.
import type { SuspendableKind } from '../../src/core/policy/types';
import type { Suspension, Suspensions, ThrottleLease, ThrottleLimit, Throttles, WindowReservation } from '../../src/relay/ports';
import { asAsync, type CallLog, type Faults } from './fakes';

/** Every limit has room now unless a test says when its next slot is (`slots`). Leases are counted per key. */
export class FakeThrottles implements Throttles {
  /** what was reserved, in order */
  readonly reserved: { keys: string[]; at: Date }[] = [];
  /** by key: the earliest moment the key has room */
  readonly slots = new Map<string, Date>();
  /** by key: the leases taken and not released */
  readonly leases = new Map<string, ThrottleLease[]>();
  /** reserveInWindows: the sends counted, by "key|window seconds|window start ISO" */
  readonly windowCounts = new Map<string, number>();
  /** what reserveInWindows counted, in order */
  readonly counted: { keys: string[]; at: Date; movedBy?: string }[] = [];

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
  ) {}

  reserve(limits: readonly ThrottleLimit[], now: Date): Promise<Date> {
    return asAsync(() => {
      this.faults.check(this.calls, 'throttles.reserve');
      const at = new Date(Math.max(now.getTime(), ...limits.map((l) => this.slots.get(l.key)?.getTime() ?? 0)));
      this.reserved.push({ keys: limits.map((l) => l.key), at });
      return at;
    });
  }

  reserveInWindows(limits: readonly ThrottleLimit[], now: Date): Promise<WindowReservation> {
    return asAsync(() => {
      this.faults.check(this.calls, 'throttles.reserveInWindows');
      let at = now.getTime();
      let movedBy: string | undefined;
      for (let moved = true, rounds = 0; moved; rounds++) {
        if (rounds > 10_000) throw new Error('FakeThrottles: no window with room');
        moved = false;
        for (const limit of limits) {
          for (const w of limit.windows) {
            const start = windowStartOf(at, w.seconds);
            if ((this.windowCounts.get(windowKey(limit.key, w.seconds, start)) ?? 0) < w.count) continue;
            at = start + w.seconds * 1000;
            movedBy = limit.key;
            moved = true;
          }
        }
      }
      for (const limit of limits) {
        for (const w of limit.windows) {
          const key = windowKey(limit.key, w.seconds, windowStartOf(at, w.seconds));
          this.windowCounts.set(key, (this.windowCounts.get(key) ?? 0) + 1);
        }
      }
      const reservation = movedBy === undefined ? { at: new Date(at) } : { at: new Date(at), movedBy };
      this.counted.push({ keys: limits.map((l) => l.key), ...reservation });
      return reservation;
    });
  }

  acquire(key: string, concurrency: number, owner: string, until: Date, now: Date): Promise<ThrottleLease | { busyUntil: Date }> {
    return asAsync(() => {
      this.faults.check(this.calls, 'throttles.acquire');
      const live = (this.leases.get(key) ?? []).filter((l) => l.until > now);
      if (live.length >= concurrency) return { busyUntil: new Date(Math.min(...live.map((l) => l.until.getTime()))) };
      const taken = new Set(live.map((l) => l.place));
      let place = 0;
      while (taken.has(place)) place++;
      const lease: ThrottleLease = { key, place, owner, until };
      this.leases.set(key, [...live, lease]);
      return lease;
    });
  }

  release(lease: ThrottleLease): Promise<void> {
    return asAsync(() => {
      this.faults.check(this.calls, 'throttles.release');
      const live = this.leases.get(lease.key) ?? [];
      this.leases.set(
        lease.key,
        live.filter((l) => !(l.place === lease.place && l.owner === lease.owner)),
      );
    });
  }
}

function windowStartOf(at: number, seconds: number): number {
  return Math.floor(at / (seconds * 1000)) * seconds * 1000;
}

/** The windowCounts key of a limit's fixed window. */
export function windowKey(key: string, seconds: number, start: number): string {
  return `${key}|${seconds}|${new Date(start).toISOString()}`;
}

export class FakeSuspensions implements Suspensions {
  /** by "kind\nname" */
  readonly entries = new Map<string, Suspension>();
  /** by "rule\nkind\nname": the match times */
  readonly matches = new Map<string, Date[]>();

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
    private readonly now: () => Date = () => new Date(),
  ) {}

  activeFor(kind: SuspendableKind, name: string, now: Date): Promise<Suspension | undefined> {
    return asAsync(() => {
      // cached in the real adapter: no storage call per send, so none logged here (a fault still applies)
      this.faults.check([], 'suspensions.activeFor');
      const found = this.entries.get(`${kind}\n${name}`);
      return found && found.until > now ? { ...found } : undefined;
    });
  }

  list(now: Date): Promise<Suspension[]> {
    return asAsync(() => {
      this.faults.check(this.calls, 'suspensions.list');
      return [...this.entries.values()].filter((s) => s.until > now).map((s) => ({ ...s }));
    });
  }

  put(suspension: Suspension): Promise<'created' | 'replaced'> {
    return asAsync(() => {
      this.faults.check(this.calls, 'suspensions.put');
      const key = `${suspension.kind}\n${suspension.name}`;
      // as the port says: replaced only if one was in force (an expired row is no suspension)
      const existed = (this.entries.get(key)?.until.getTime() ?? 0) > suspension.createdAt.getTime();
      this.entries.set(key, { ...suspension });
      return existed ? 'replaced' : 'created';
    });
  }

  lift(kind: SuspendableKind, name: string): Promise<boolean> {
    return asAsync(() => {
      this.faults.check(this.calls, 'suspensions.lift');
      const key = `${kind}\n${name}`;
      const inForce = (this.entries.get(key)?.until.getTime() ?? 0) > this.now().getTime();
      this.entries.delete(key);
      return inForce;
    });
  }

  countMatch(rule: string, kind: SuspendableKind, name: string, windowSeconds: number, at: Date): Promise<number> {
    return asAsync(() => {
      this.faults.check(this.calls, 'suspensions.countMatch');
      const key = `${rule}\n${kind}\n${name}`;
      const since = at.getTime() - windowSeconds * 1000;
      const kept = [...(this.matches.get(key) ?? []), at].filter((t) => t.getTime() > since);
      this.matches.set(key, kept);
      return kept.length;
    });
  }
}
