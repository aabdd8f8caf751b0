// The smart hosts' runs of failures and cool-offs (core/coolOff), shared by every instance, in the
// shaping table (RELAY_SHAPING_TABLE):
//   PartitionKey "health", RowKey "cooloff|<name>"   failures, firstFailureAt, coolingUntil, lastReason
// A healthy host has no row: a success that ends a run deletes it.
// The send path costs nothing on a healthy host: coolingUntil answers from every row this instance
// read at most HEALTH_CACHE_MS ago (one query of the small "health" partition per instance per
// interval, whatever the number of sends), and recordSuccess writes only when this instance knows of
// failures to clear. A failure is an ETag-conditional write over the row as this instance last saw
// it (no read first); a 412 says another instance wrote since, and only then is the row read again,
// so failures from any number of instances are counted exactly. Failures that arrive while one write
// is under way share the next write. A failure during a cool-off writes nothing (the rule ignores it).
// Storage failures never fail a delivery: these calls come after the SMTP transaction, and a throw
// there would lose its outcome and send the message again. A count that could not be written is
// logged and dropped (a cool-off may then start a failure later); coolingUntil answers from what it
// read before, or "not cooling" (the send itself will tell).
import { setTimeout as delay } from 'node:timers/promises';
import { RestError, type TableClient } from '@azure/data-tables';
import { afterHealthEvent, type CoolOffRule, coolingAt, type HealthEvent, HEALTHY, type HostHealthState } from '../core/coolOff';
import { summarizeError } from '../errors';
import type { RelayLog } from '../relay/deps';
import type { SmartHostCoolOff, SmartHostHealth } from '../relay/ports';
import { BACKOFF_MS, lostRace, partitionKey, WRITE_TRIES } from './shapingRows';

const PARTITION = 'health';
const PREFIX = 'cooloff|';
/** How stale an instance's view of the cool-offs may be: a cool-off started elsewhere is seen within this. */
export const HEALTH_CACHE_MS = 5_000;

const CONSOLE_LOG: RelayLog = { log: (m) => console.log(m), warn: (m) => console.warn(m), error: (m) => console.error(m) };

interface Known {
  /** undefined: there was no row */
  etag?: string;
  state: HostHealthState;
}

interface Pending {
  event: HealthEvent;
  at: Date;
  resolve: (started: Date | undefined) => void;
}

export interface SmartHostHealthOptions {
  log?: RelayLog;
  /** the clock of the cache's age (the rule goes by the times the caller gives) */
  now?: () => Date;
  cacheMs?: number;
  random?: () => number;
}

export class SmartHostHealthStore implements SmartHostHealth {
  private readonly log: RelayLog;
  private readonly now: () => Date;
  private readonly cacheMs: number;
  private readonly random: () => number;
  /** by host name: its row as this instance last read or wrote it */
  private known = new Map<string, Known>();
  private fetchedAt = -Infinity;
  /** by host name: the number of this instance's last write or read of its row, in `seen` order */
  private readonly seenAt = new Map<string, number>();
  private seen = 0;
  private reading: Promise<Map<string, Known>> | undefined;
  /** by host name: events waiting for the write under way */
  private readonly queues = new Map<string, Pending[]>();

  constructor(
    private readonly table: TableClient,
    private readonly rule: CoolOffRule,
    options: SmartHostHealthOptions = {},
  ) {
    this.log = options.log ?? CONSOLE_LOG;
    this.now = options.now ?? (() => new Date());
    this.cacheMs = options.cacheMs ?? HEALTH_CACHE_MS;
    this.random = options.random ?? Math.random;
  }

  async coolingUntil(name: string, now: Date): Promise<Date | undefined> {
    if (this.now().getTime() - this.fetchedAt >= this.cacheMs) {
      try {
        await this.refresh();
      } catch (err) {
        // Tried again after another interval, not at every send.
        this.fetchedAt = this.now().getTime();
        this.log.warn(`smart host cool-offs could not be read, going by those read before (${summarizeError(err)})`);
      }
    }
    return coolingAt(this.stateOf(name), now);
  }

  recordFailure(name: string, reason: string, now: Date): Promise<Date | undefined> {
    return this.record(name, { kind: 'failure', reason }, now);
  }

  async recordSuccess(name: string, now: Date): Promise<void> {
    await this.record(name, { kind: 'success' }, now);
  }

  async list(now: Date): Promise<SmartHostCoolOff[]> {
    const rows = await this.refresh();
    const coolOffs: SmartHostCoolOff[] = [];
    for (const [name, { state }] of rows) {
      const until = coolingAt(state, now);
      if (until) coolOffs.push({ name, until, failures: state.failures, since: state.firstFailureAt ?? until, reason: state.lastReason ?? '' });
    }
    return coolOffs.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** An event the rule ignores, on what this instance knows, costs nothing (a success of a healthy host, anything during a cool-off). */
  private record(name: string, event: HealthEvent, at: Date): Promise<Date | undefined> {
    const queue = this.queues.get(name);
    if (!queue && !afterHealthEvent(this.stateOf(name), event, at, this.rule).changed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const pending = { event, at, resolve };
      if (queue) queue.push(pending);
      else {
        this.queues.set(name, [pending]);
        void this.drain(name);
      }
    });
  }

  private async drain(name: string): Promise<void> {
    const queue = this.queues.get(name) ?? [];
    while (queue.length > 0) {
      const batch = queue.splice(0, queue.length);
      let started: (Date | undefined)[] = [];
      try {
        started = await this.apply(name, batch);
      } catch (err) {
        this.log.warn(`smart host ${name}: ${batch.length} health event(s) not recorded (${summarizeError(err)})`);
      }
      batch.forEach((p, i) => p.resolve(started[i]));
    }
    this.queues.delete(name);
  }

  /** Applies the events in order over the row, in one conditional write; what each started. */
  private async apply(name: string, batch: readonly Pending[]): Promise<(Date | undefined)[]> {
    for (let tries = 1; tries <= WRITE_TRIES; tries++) {
      const base = this.known.get(name) ?? { state: HEALTHY };
      let state = base.state;
      let changed = false;
      const started = batch.map((p) => {
        const change = afterHealthEvent(state, p.event, p.at, this.rule);
        state = change.next;
        changed ||= change.changed;
        return change.started;
      });
      if (!changed) return started;
      // the caller logs the start it is handed: one line across every instance
      if (await this.write(name, base, state)) return started;
      await this.reread(name);
      await delay(BACKOFF_MS * tries * (0.5 + this.random()));
    }
    throw new Error(`the cool-off row of ${name} kept changing under ${WRITE_TRIES} tries to write it`);
  }

  /** Writes `next` over the row as it was at `base`; false when it is no longer there (a lost race). */
  private async write(name: string, base: Known, next: HostHealthState): Promise<boolean> {
    const rowKey = rowKeyOf(name);
    try {
      if (next.failures === 0 && next.coolingUntil === undefined) {
        if (base.etag !== undefined) await this.table.deleteEntity(PARTITION, rowKey, { etag: base.etag });
        this.remember(name, { state: HEALTHY });
        return true;
      }
      const entity = toEntity(name, next);
      const written = base.etag === undefined ? await this.table.createEntity(entity) : await this.table.updateEntity(entity, 'Replace', { etag: base.etag });
      if (!written.etag) throw new Error(`the shaping table answered a write of ${rowKey} without an ETag`);
      this.remember(name, { etag: written.etag, state: next });
      return true;
    } catch (err) {
      if (lostRace(err) || (err instanceof RestError && err.statusCode === 404)) return false;
      throw err;
    }
  }

  private async reread(name: string): Promise<void> {
    try {
      const entity = await this.table.getEntity<Record<string, unknown>>(PARTITION, rowKeyOf(name));
      this.remember(name, { etag: entity.etag, state: fromEntity(entity) });
    } catch (err) {
      if (!(err instanceof RestError && err.statusCode === 404)) throw err;
      this.remember(name, { state: HEALTHY });
    }
  }

  private remember(name: string, known: Known): void {
    this.known.set(name, known);
    this.seenAt.set(name, ++this.seen);
  }

  private stateOf(name: string): HostHealthState {
    return this.known.get(name)?.state ?? HEALTHY;
  }

  /** Every cool-off row, in one query of one partition; concurrent callers share the one under way. */
  private refresh(): Promise<Map<string, Known>> {
    this.reading ??= (async () => {
      const rows = new Map<string, Known>();
      const startedAt = this.seen;
      const filter = `PartitionKey eq '${PARTITION}' and RowKey ge '${PREFIX}' and RowKey lt 'cooloff}'`;
      for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        if (typeof entity.name === 'string') rows.set(entity.name, { etag: entity.etag, state: fromEntity(entity) });
      }
      // a row this instance wrote or read while the query ran is newer than what the query saw
      for (const [name, at] of this.seenAt) {
        const mine = this.known.get(name);
        if (at > startedAt && mine) rows.set(name, mine);
      }
      this.known = rows;
      this.fetchedAt = this.now().getTime();
      return rows;
    })().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }
}

function rowKeyOf(name: string): string {
  return `${PREFIX}${partitionKey(name)}`;
}

function toEntity(name: string, s: HostHealthState) {
  // times as ISO text: the row is read back the same whatever the SDK makes of a DateTime
  return {
    partitionKey: PARTITION,
    rowKey: rowKeyOf(name),
    name,
    failures: s.failures,
    firstFailureAt: s.firstFailureAt?.toISOString() ?? '',
    coolingUntil: s.coolingUntil?.toISOString() ?? '',
    lastReason: s.lastReason ?? '',
  };
}

/** A row this adapter cannot read counts as a run of its failures (or none), and is written over like any other. */
function fromEntity(entity: Record<string, unknown>): HostHealthState {
  const failures = Number(entity.failures);
  const state: HostHealthState = { failures: Number.isInteger(failures) && failures > 0 ? failures : 0 };
  const first = toDate(entity.firstFailureAt);
  const until = toDate(entity.coolingUntil);
  if (first) state.firstFailureAt = first;
  if (until) state.coolingUntil = until;
  if (typeof entity.lastReason === 'string' && entity.lastReason) state.lastReason = entity.lastReason;
  return state;
}

function toDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
