// In-memory fakes of the suppression list and the bounce-rate breaker (src/relay/ports.ts), for the
// unit tier, beside the storage fakes of ./fakes.ts: same call log, same injected faults.
import { domainOf } from '../../src/core/address';
import { changedSinceLookup, type SuppressionEntry } from '../../src/core/suppression';
import type { BreakerThresholds } from '../../src/core/breaker';
import type { SenderCounts, SenderPause, SenderReputation, SenderView, SuppressionPage, SuppressionQuery, Suppressions } from '../../src/relay/ports';
import { ValidationError } from '../../src/errors';
import { asAsync, type CallLog, type Faults } from './fakes';

export class FakeSuppressions implements Suppressions {
  /** by "address\nscope" */
  readonly entries = new Map<string, SuppressionEntry>();
  /** when an entry was last seeded or put, by the relay's clock: the store's change marker */
  lastChange: Date | undefined;

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
    private readonly now: () => Date = () => new Date(),
  ) {}

  seed(entry: SuppressionEntry): void {
    this.entries.set(`${entry.address.toLowerCase()}\n${entry.scope}`, { ...entry, address: entry.address.toLowerCase() });
    this.lastChange = this.now();
  }

  changedSince(address: string, at: Date): Promise<boolean> {
    void address; // one mark for every address: the fake never says unchanged when the store would not
    return asAsync(() => {
      this.faults.check(this.calls, 'suppressions.changedSince');
      return changedSinceLookup(this.lastChange, at);
    });
  }

  find(address: string): Promise<SuppressionEntry[]> {
    return asAsync(() => {
      this.faults.check(this.calls, 'suppressions.find');
      return [...this.entries.values()].filter((e) => e.address === address.toLowerCase()).map((e) => ({ ...e }));
    });
  }

  put(entry: SuppressionEntry): Promise<'created' | 'replaced'> {
    return asAsync(() => {
      this.faults.check(this.calls, 'suppressions.put');
      const key = `${entry.address.toLowerCase()}\n${entry.scope}`;
      const existed = this.entries.has(key);
      this.seed(entry);
      return existed ? 'replaced' : 'created';
    });
  }

  delete(address: string, scope?: string): Promise<number> {
    return asAsync(() => {
      this.faults.check(this.calls, 'suppressions.delete');
      let removed = 0;
      for (const [key, e] of this.entries) {
        if (e.address === address.toLowerCase() && (scope === undefined || e.scope === scope)) {
          this.entries.delete(key);
          removed++;
        }
      }
      return removed;
    });
  }

  list(query: SuppressionQuery): Promise<SuppressionPage> {
    return asAsync(() => {
      this.faults.check(this.calls, 'suppressions.list');
      const all = [...this.entries.values()]
        .filter((e) => (query.domain === undefined || domainOf(e.address) === query.domain) && (query.source === undefined || e.source === query.source))
        .sort((a, b) => `${a.address}\n${a.scope}`.localeCompare(`${b.address}\n${b.scope}`));
      // as the real adapter does: a token it did not hand out is the caller's mistake
      if (query.continuationToken !== undefined && !/^\d{1,9}$/.test(query.continuationToken)) {
        throw new ValidationError([{ field: 'continuationToken', message: 'is not a token this list handed out' }]);
      }
      const start = query.continuationToken === undefined ? 0 : Number(query.continuationToken);
      const items = all.slice(start, start + query.limit);
      const next = start + query.limit < all.length ? String(start + query.limit) : undefined;
      return next === undefined ? { items } : { items, continuationToken: next };
    });
  }
}

/**
 * Counts in memory; a test pauses a domain with pause(), as the breaker would. record() and pauseOf()
 * cost the real adapter no storage call on the send's path, so neither is in the call log: a test
 * reads `counts`.
 */
export class FakeSenders implements SenderReputation {
  readonly counts = new Map<string, Required<SenderCounts>>();
  readonly pauses = new Map<string, SenderPause>();
  readonly resumedAt = new Map<string, Date>();
  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
    /** the settings' thresholds, shown in the view as the real adapter shows them */
    readonly thresholds: BreakerThresholds,
  ) {}

  record(senderDomain: string, counts: SenderCounts): void {
    const now = this.counts.get(senderDomain) ?? { attempts: 0, hardBounces: 0, complaints: 0 };
    this.counts.set(senderDomain, {
      attempts: now.attempts + (counts.attempts ?? 0),
      hardBounces: now.hardBounces + (counts.hardBounces ?? 0),
      complaints: now.complaints + (counts.complaints ?? 0),
    });
  }

  /** Takes effect at once (a test need not await it), like the breaker's pause once its cache refreshes. */
  pause(domain: string, reason = 'paused by a test', since = new Date()): Promise<SenderView> {
    if (!this.pauses.has(domain)) this.pauses.set(domain, { domain, reason, since });
    return asAsync(() => {
      this.faults.check(this.calls, 'senders.pause');
      return this.#view(domain);
    });
  }

  pauseOf(senderDomain: string): Promise<SenderPause | undefined> {
    // cached in the real adapter: no storage call per send, so none logged here
    return Promise.resolve(this.pauses.get(senderDomain));
  }

  view(senderDomain: string): Promise<SenderView> {
    return asAsync(() => {
      this.faults.check(this.calls, 'senders.view');
      return this.#view(senderDomain);
    });
  }

  resume(senderDomain: string, at: Date): Promise<SenderView> {
    return asAsync(() => {
      this.faults.check(this.calls, 'senders.resume');
      if (this.pauses.delete(senderDomain)) {
        this.counts.delete(senderDomain);
        this.resumedAt.set(senderDomain, at);
      }
      return this.#view(senderDomain);
    });
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #view(domain: string): SenderView {
    const c = this.counts.get(domain) ?? { attempts: 0, hardBounces: 0, complaints: 0 };
    const pause = this.pauses.get(domain);
    const rate = (n: number) => (c.attempts === 0 ? 0 : (100 * n) / c.attempts);
    return {
      domain,
      state: pause ? 'paused' : 'active',
      windowStart: new Date(0).toISOString(),
      ...c,
      bounceRate: rate(c.hardBounces),
      complaintRate: rate(c.complaints),
      pausedAt: pause?.since.toISOString() ?? null,
      pausedReason: pause?.reason ?? null,
      resumedAt: this.resumedAt.get(domain)?.toISOString() ?? null,
      thresholds: { ...this.thresholds },
    };
  }
}
