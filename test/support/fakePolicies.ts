// In-memory fakes of the suppression list and the bounce-rate breaker (src/relay/ports.ts), for the
// unit tier, beside the storage fakes of ./fakes.ts: same call log, same injected faults.
import { domainOf } from '../../src/core/address';
import type { SuppressionEntry } from '../../src/core/suppression';
import type { SenderCounts, SenderPause, SenderReputation, SenderView, SuppressionPage, SuppressionQuery, Suppressions } from '../../src/relay/ports';
import { ValidationError } from '../../src/errors';
import { asAsync, type CallLog, type Faults } from './fakes';

export class FakeSuppressions implements Suppressions {
  /** by "address\nscope" */
  readonly entries = new Map<string, SuppressionEntry>();

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
  ) {}

  seed(entry: SuppressionEntry): void {
    this.entries.set(`${entry.address.toLowerCase()}\n${entry.scope}`, { ...entry, address: entry.address.toLowerCase() });
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

/** Counts in memory; a test pauses a domain with pause(), as the breaker would. */
export class FakeSenders implements SenderReputation {
  readonly counts = new Map<string, Required<SenderCounts>>();
  readonly pauses = new Map<string, SenderPause>();

  constructor(
    private readonly calls: CallLog,
    private readonly faults: Faults,
  ) {}

  record(senderDomain: string, counts: SenderCounts): void {
    this.calls.push('senders.record');
    const now = this.counts.get(senderDomain) ?? { attempts: 0, hardBounces: 0, complaints: 0 };
    this.counts.set(senderDomain, {
      attempts: now.attempts + (counts.attempts ?? 0),
      hardBounces: now.hardBounces + (counts.hardBounces ?? 0),
      complaints: now.complaints + (counts.complaints ?? 0),
    });
  }

  pause(domain: string, reason = 'paused by a test', since = new Date()): void {
    this.pauses.set(domain, { domain, reason, since });
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

  resume(senderDomain: string): Promise<SenderView> {
    return asAsync(() => {
      this.faults.check(this.calls, 'senders.resume');
      this.pauses.delete(senderDomain);
      this.counts.delete(senderDomain);
      return this.#view(senderDomain);
    });
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}

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
      resumedAt: null,
    };
  }
}
