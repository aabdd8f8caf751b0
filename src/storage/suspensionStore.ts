// Suspended and slowed destinations and smart hosts, in the suspensions table (RELAY_SUSPENSIONS_TABLE).
//   PartitionKey "suspension", RowKey "<kind>|<name>"          one row per target: reason, source, rule,
//                                                              rateFactor, createdAt, until
//   PartitionKey "match",      RowKey "<rule>|<kind>|<name>"   a reaction rule's recent match times
// The send path costs nothing: activeFor answers from every suspension this instance read at most
// CACHE_MS ago (one query of the small "suspension" partition per instance per interval, whatever
// the number of sends), so a suspension put by any instance is seen by every other within CACHE_MS,
// and by the instance that put or lifted it at once. An expired row is ignored, and replaced by the
// next suspension of its target: there is one row per target, so nothing has to clean up.
// Matches are rare (a reply that sets a rule off), so each rule and target has one row holding its
// match times in the window, changed by ETag-conditional read-modify-write: exact over a sliding
// window, shared by every instance, a lost race read again; it prunes itself as it is written.
import { RestError, type TableClient } from '@azure/data-tables';
import type { SuspendableKind } from '../core/policy/types';
import { summarizeError } from '../errors';
import type { RelayLog } from '../relay/deps';
import type { Suspension, Suspensions } from '../relay/ports';

const SUSPENSIONS = 'suspension';
const MATCHES = 'match';
/** How stale an instance's view of the suspensions may be. */
export const SUSPENSION_CACHE_MS = 10_000;
const WRITE_TRIES = 5;
/** A row keeps at most this many match times: far more than any threshold, far below the 64 KiB property limit. */
const MAX_MATCHES_KEPT = 500;

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

const CONSOLE_LOG: RelayLog = { log: (m) => console.log(m), warn: (m) => console.warn(m), error: (m) => console.error(m) };

interface Cache {
  byTarget: Map<string, Suspension>;
  fetchedAt: number;
}

export interface SuspensionStoreOptions {
  log?: RelayLog;
  now?: () => Date;
  cacheMs?: number;
}

export class SuspensionStore implements Suspensions {
  private readonly log: RelayLog;
  private readonly now: () => Date;
  private readonly cacheMs: number;
  private cache: Cache | undefined;
  private reading: Promise<Cache> | undefined;

  constructor(
    private readonly table: TableClient,
    options: SuspensionStoreOptions = {},
  ) {
    this.log = options.log ?? CONSOLE_LOG;
    this.now = options.now ?? (() => new Date());
    this.cacheMs = options.cacheMs ?? SUSPENSION_CACHE_MS;
  }

  async activeFor(kind: SuspendableKind, name: string, now: Date): Promise<Suspension | undefined> {
    let cache = this.cache;
    if (!cache || this.now().getTime() - cache.fetchedAt >= this.cacheMs) {
      try {
        cache = await this.refresh();
      } catch (err) {
        // What was read a moment ago is the best answer while storage does not answer; the next read
        // is tried after another interval, not at every send.
        if (!cache) throw err;
        cache = { ...cache, fetchedAt: this.now().getTime() };
        this.cache = cache;
        this.log.warn(`suspensions could not be read, using those read before (${summarizeError(err)})`);
      }
    }
    const found = cache.byTarget.get(targetKey(kind, name));
    return found && found.until.getTime() > now.getTime() ? { ...found } : undefined;
  }

  async list(now: Date): Promise<Suspension[]> {
    const fresh = await this.refresh();
    return [...fresh.byTarget.values()]
      .filter((s) => s.until.getTime() > now.getTime())
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name))
      .map((s) => ({ ...s }));
  }

  async put(suspension: Suspension): Promise<'created' | 'replaced'> {
    const entity = toEntity(suspension);
    for (let i = 0; i < WRITE_TRIES; i++) {
      const existing = await this.read(entity.rowKey);
      try {
        if (existing) await this.table.updateEntity(entity, 'Replace', { etag: existing.etag });
        else await this.table.createEntity(entity);
      } catch (err) {
        if (lostRace(err)) continue;
        throw err;
      }
      this.remember(suspension);
      return existing && existing.suspension.until.getTime() > this.now().getTime() ? 'replaced' : 'created';
    }
    throw new Error(`suspension of ${suspension.kind} ${suspension.name}: it kept changing under ${WRITE_TRIES} tries to write it`);
  }

  async lift(kind: SuspendableKind, name: string): Promise<boolean> {
    const rowKey = targetKey(kind, name);
    for (let i = 0; i < WRITE_TRIES; i++) {
      const existing = await this.read(rowKey);
      if (!existing) {
        this.cache?.byTarget.delete(rowKey);
        return false;
      }
      try {
        // conditional: a suspension put meanwhile (a reaction) is not lifted unseen
        await this.table.deleteEntity(SUSPENSIONS, rowKey, { etag: existing.etag });
      } catch (err) {
        if (err instanceof RestError && err.statusCode === 404) continue;
        if (lostRace(err)) continue;
        throw err;
      }
      this.cache?.byTarget.delete(rowKey);
      return existing.suspension.until.getTime() > this.now().getTime();
    }
    throw new Error(`suspension of ${kind} ${name}: it kept changing under ${WRITE_TRIES} tries to lift it`);
  }

  async countMatch(rule: string, kind: SuspendableKind, name: string, windowSeconds: number, at: Date): Promise<number> {
    const rowKey = `${key(rule)}|${targetKey(kind, name)}`;
    const since = at.getTime() - windowSeconds * 1000;
    for (let i = 0; i < WRITE_TRIES; i++) {
      let etag: string | undefined;
      let times: number[] = [];
      try {
        const entity = await this.table.getEntity<Record<string, unknown>>(MATCHES, rowKey);
        etag = entity.etag;
        times = parseTimes(entity.times);
      } catch (err) {
        if (!(err instanceof RestError && err.statusCode === 404)) throw err;
      }
      const kept = [...times.filter((t) => t > since), at.getTime()].sort((a, b) => a - b).slice(-MAX_MATCHES_KEPT);
      const entity: Entity = { partitionKey: MATCHES, rowKey, rule, kind, name, times: JSON.stringify(kept) };
      try {
        if (etag === undefined) await this.table.createEntity(entity);
        else await this.table.updateEntity(entity, 'Replace', { etag });
      } catch (err) {
        if (lostRace(err)) continue;
        throw err;
      }
      return kept.length;
    }
    throw new Error(`matches of ${rule} for ${kind} ${name}: the count kept changing under ${WRITE_TRIES} tries to write it`);
  }

  /** Every suspension row, in one query; concurrent callers share the one under way. */
  private refresh(): Promise<Cache> {
    this.reading ??= (async () => {
      const byTarget = new Map<string, Suspension>();
      const filter = `PartitionKey eq '${SUSPENSIONS}'`;
      for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        const suspension = fromEntity(entity);
        if (suspension) byTarget.set(entity.rowKey as string, suspension);
      }
      const cache = { byTarget, fetchedAt: this.now().getTime() };
      this.cache = cache;
      return cache;
    })().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(rowKey: string): Promise<{ suspension: Suspension; etag: string } | undefined> {
    try {
      const entity = await this.table.getEntity<Record<string, unknown>>(SUSPENSIONS, rowKey);
      const suspension = fromEntity(entity);
      // a row this adapter cannot read is replaced or removed like any other
      return { suspension: suspension ?? { ...UNREADABLE }, etag: entity.etag };
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  private remember(suspension: Suspension): void {
    this.cache?.byTarget.set(targetKey(suspension.kind, suspension.name), { ...suspension });
  }
}

const UNREADABLE: Suspension = { kind: 'destination', name: '', reason: '', source: 'manual', createdAt: new Date(0), until: new Date(0) };

/** Names go into keys percent-encoded: a key may not hold / \ # ? or control characters. */
function key(text: string): string {
  return encodeURIComponent(text);
}

function targetKey(kind: SuspendableKind, name: string): string {
  return `${kind}|${key(name)}`;
}

function lostRace(err: unknown): boolean {
  return err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412);
}

function parseTimes(value: unknown): number[] {
  if (typeof value !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((t): t is number => typeof t === 'number' && Number.isFinite(t)) : [];
  } catch {
    return [];
  }
}

function toEntity(s: Suspension): Entity {
  const entity: Entity = {
    partitionKey: SUSPENSIONS,
    rowKey: targetKey(s.kind, s.name),
    kind: s.kind,
    name: s.name,
    reason: s.reason,
    source: s.source,
    createdAt: s.createdAt,
    until: s.until,
  };
  if (s.rule !== undefined) entity.rule = s.rule;
  if (s.rateFactor !== undefined) entity.rateFactor = s.rateFactor;
  return entity;
}

function fromEntity(entity: Record<string, unknown>): Suspension | undefined {
  const kind = entity.kind === 'destination' || entity.kind === 'smartHost' ? entity.kind : undefined;
  const until = toDate(entity.until);
  if (kind === undefined || typeof entity.name !== 'string' || until === undefined) return undefined;
  const suspension: Suspension = {
    kind,
    name: entity.name,
    reason: typeof entity.reason === 'string' ? entity.reason : '',
    source: entity.source === 'reaction' ? 'reaction' : 'manual',
    createdAt: toDate(entity.createdAt) ?? until,
    until,
  };
  if (typeof entity.rule === 'string') suspension.rule = entity.rule;
  if (typeof entity.rateFactor === 'number' && entity.rateFactor > 0 && entity.rateFactor < 1) suspension.rateFactor = entity.rateFactor;
  return suspension;
}

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'string' && value) {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}
