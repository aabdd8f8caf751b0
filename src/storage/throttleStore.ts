// Rate slots and in-flight leases shared by every instance, in the shaping table (docs/adr/0009):
//   PartitionKey <limit key>, RowKey "rate"        the key's windows' TATs (core/policy/gcra), ETag-guarded
//   PartitionKey <limit key>, RowKey "lease|<n>"   place n of its `concurrency`: owner and expiry
//   PartitionKey <limit key>, RowKey "win|<seconds>|<window start ISO>"   a fixed window's count (./windowCounts)
// Every change is a conditional write (If-Match, or create for a row not there yet), so instances
// racing for one row serialise on its ETag: the loser re-reads and tries again, a bounded number of
// times with jitter, and then throws: a reservation never fails open. An uncontended reservation
// costs one write per limit: the last ETag and state this instance wrote are kept and written over
// without reading first; a 412 says another instance wrote since, and only then is the row read.
import { setTimeout as delay } from 'node:timers/promises';
import { RestError, type TableClient } from '@azure/data-tables';
import { afterSend, CLOCK_SKEW_MARGIN_MS, earliestSlot, NO_RATE_STATE, parseRateState, type RateState } from '../core/policy/gcra';
import type { ThrottleLease, ThrottleLimit, Throttles, WindowReservation } from '../relay/ports';
import { BACKOFF_MS, lostRace, partitionKey, ThrottleContendedError, WRITE_TRIES } from './shapingRows';
import { WindowCounts } from './windowCounts';

export { partitionKey, ThrottleContendedError, WRITE_TRIES } from './shapingRows';

const RATE_ROW = 'rate';
const LEASE_PREFIX = 'lease|';
/** Reservations written together at most: a batch stays one small entity write per limit. */
const MAX_BATCH = 64;

interface KnownRate {
  /** undefined: the row did not exist when last seen */
  etag?: string;
  state: RateState;
}

interface Mine {
  etag: string;
  /** the state before this batch's write, so its reservations can be moved to later slots */
  before: RateState;
  written: RateState;
}

interface Request {
  limits: readonly ThrottleLimit[];
  now: number;
  resolve: (slot: Date) => void;
  reject: (err: unknown) => void;
}

interface LeaseRow {
  place: number;
  etag: string;
  owner: string;
  until: number;
}

export class ThrottleStore implements Throttles {
  private readonly rates = new Map<string, KnownRate>();
  private readonly pending: Request[] = [];
  private draining = false;
  /** by "key\nplace\nowner": the ETag of a lease this instance holds, for its release */
  private readonly held = new Map<string, string>();
  /** by key: a place this instance saw free and its ETag, tried first without a query */
  private readonly freePlaces = new Map<string, { place: number; etag: string }>();
  private readonly windows: WindowCounts;

  constructor(
    private readonly table: TableClient,
    private readonly random: () => number = Math.random,
  ) {
    this.windows = new WindowCounts(table, random);
  }

  reserve(limits: readonly ThrottleLimit[], now: Date): Promise<Date> {
    const unique = [...new Map(limits.map((l) => [l.key, l])).values()];
    return new Promise((resolve, reject) => {
      this.pending.push({ limits: unique, now: now.getTime(), resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  /**
   * One batch at a time per instance: the reservations that arrived meanwhile share one conditional
   * write per limit, so an instance under load races the other instances, never itself.
   */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          const slots = await this.reserveBatch(batch);
          batch.forEach((request, i) => request.resolve(new Date(slots[i])));
        } catch (err) {
          for (const request of batch) request.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async reserveBatch(batch: readonly Request[]): Promise<number[]> {
    const keys = [...new Set(batch.flatMap((r) => r.limits.map((l) => l.key)))];
    const mine = new Map<string, Mine>();
    for (let tries = 1; tries <= WRITE_TRIES; tries++) {
      const known = new Map<string, KnownRate>();
      const states = new Map<string, RateState>();
      for (const key of keys) {
        const own = mine.get(key);
        const base = own ? { etag: own.etag, state: own.before } : await this.knownRate(key);
        known.set(key, base);
        states.set(key, base.state);
      }
      const slots = batch.map((request) => {
        let slot = request.now;
        for (const limit of request.limits) slot = Math.max(slot, earliestSlot(states.get(limit.key)!, limit.windows, slot));
        for (const limit of request.limits) states.set(limit.key, afterSend(states.get(limit.key)!, limit.windows, slot));
        return slot;
      });
      if (await this.writeAll(keys, known, states, mine)) return slots;
      await delay(BACKOFF_MS * tries * (0.5 + this.random()));
    }
    // What was written stays counted: a phantom send costs a little throughput, never a limit.
    throw new ThrottleContendedError(`the shaping rows of ${keys.join(', ')} kept changing under ${WRITE_TRIES} tries to reserve a slot`);
  }

  /**
   * Writes each key's new state over the one it was computed from (this batch's own earlier write
   * when there was one, which moves those reservations to their new slots); false on a lost race.
   */
  private async writeAll(keys: readonly string[], known: Map<string, KnownRate>, states: Map<string, RateState>, mine: Map<string, Mine>): Promise<boolean> {
    for (const key of keys) {
      const next = states.get(key)!;
      const own = mine.get(key);
      if (own && JSON.stringify(own.written) === JSON.stringify(next)) continue;
      const base = known.get(key)!;
      const etag = await this.writeRate(key, next, base.etag);
      if (etag === undefined) {
        // Someone wrote since: this batch's earlier write there stays as a phantom, and the row is read again.
        mine.delete(key);
        this.rates.delete(key);
        return false;
      }
      mine.set(key, { etag, before: base.state, written: next });
    }
    return true;
  }

  private async knownRate(key: string): Promise<KnownRate> {
    const cached = this.rates.get(key);
    if (cached) return cached;
    let known: KnownRate;
    try {
      const entity = await this.table.getEntity<Record<string, unknown>>(partitionKey(key), RATE_ROW);
      known = { etag: entity.etag, state: parseRateState(entity.tat) };
    } catch (err) {
      if (!(err instanceof RestError && err.statusCode === 404)) throw err;
      known = { state: NO_RATE_STATE };
    }
    this.rates.set(key, known);
    return known;
  }

  /** The new ETag, or undefined when the row is no longer at `etag` (or was created meanwhile). */
  private async writeRate(key: string, state: RateState, etag: string | undefined): Promise<string | undefined> {
    const entity = { partitionKey: partitionKey(key), rowKey: RATE_ROW, tat: JSON.stringify(state) };
    try {
      const written = etag === undefined ? await this.table.createEntity(entity) : await this.table.updateEntity(entity, 'Replace', { etag });
      if (!written.etag) throw new Error(`the shaping table answered a write of ${key} without an ETag`);
      this.rates.set(key, { etag: written.etag, state });
      return written.etag;
    } catch (err) {
      if (lostRace(err)) return undefined;
      throw err;
    }
  }

  /** The warm-up's fixed windows, in rows of their own (./windowCounts). */
  reserveInWindows(limits: readonly ThrottleLimit[], now: Date): Promise<WindowReservation> {
    return this.windows.reserve(limits, now);
  }

  async acquire(key: string, concurrency: number, owner: string, until: Date, now: Date): Promise<ThrottleLease | { busyUntil: Date }> {
    const free = this.freePlaces.get(key);
    this.freePlaces.delete(key);
    if (free && free.place < concurrency) {
      const lease = await this.takePlace(key, free.place, free.etag, owner, until);
      if (lease) return lease;
    }
    for (let tries = 1; tries <= WRITE_TRIES; tries++) {
      const rows = await this.leaseRows(key);
      const byPlace = new Map(rows.map((r) => [r.place, r]));
      let busyUntil = Infinity;
      let lost = false;
      for (let place = 0; place < concurrency; place++) {
        const row = byPlace.get(place);
        // A lease is taken over only once it is over on every clock, not just on this one.
        if (row && row.until + CLOCK_SKEW_MARGIN_MS > now.getTime()) {
          busyUntil = Math.min(busyUntil, row.until + CLOCK_SKEW_MARGIN_MS);
          continue;
        }
        const lease = await this.takePlace(key, place, row?.etag, owner, until);
        if (lease) return lease;
        lost = true;
      }
      if (!lost) return { busyUntil: new Date(busyUntil) };
      await delay(BACKOFF_MS * tries * (0.5 + this.random()));
    }
    throw new ThrottleContendedError(`the leases of ${key} kept changing under ${WRITE_TRIES} tries to take one`);
  }

  async release(lease: ThrottleLease): Promise<void> {
    const id = heldId(lease);
    const etag = this.held.get(id);
    this.held.delete(id);
    if (etag === undefined) return;
    try {
      const written = await this.table.updateEntity(leaseEntity(lease.key, lease.place, '', 0), 'Replace', { etag });
      if (written.etag) this.freePlaces.set(lease.key, { place: lease.place, etag: written.etag });
    } catch (err) {
      // It expired and another instance took the place over: that lease is theirs now.
      if (!lostRace(err)) throw err;
    }
  }

  private async takePlace(key: string, place: number, etag: string | undefined, owner: string, until: Date): Promise<ThrottleLease | undefined> {
    const entity = leaseEntity(key, place, owner, until.getTime());
    try {
      const written = etag === undefined ? await this.table.createEntity(entity) : await this.table.updateEntity(entity, 'Replace', { etag });
      const lease: ThrottleLease = { key, place, owner, until };
      if (written.etag) this.held.set(heldId(lease), written.etag);
      return lease;
    } catch (err) {
      if (lostRace(err)) return undefined;
      throw err;
    }
  }

  private async leaseRows(key: string): Promise<LeaseRow[]> {
    const pk = partitionKey(key).replace(/'/g, "''");
    const filter = `PartitionKey eq '${pk}' and RowKey ge '${LEASE_PREFIX}' and RowKey lt 'lease}'`;
    const rows: LeaseRow[] = [];
    for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const place = Number((entity.rowKey ?? '').slice(LEASE_PREFIX.length));
      if (!Number.isInteger(place) || !entity.etag) continue;
      rows.push({ place, etag: entity.etag, owner: typeof entity.owner === 'string' ? entity.owner : '', until: Number(entity.until) || 0 });
    }
    return rows;
  }
}

function leaseEntity(key: string, place: number, owner: string, untilMs: number) {
  // ms as text: a number this large would be typed Int64 on one write and Double on another
  return { partitionKey: partitionKey(key), rowKey: `${LEASE_PREFIX}${place}`, owner, until: String(untilMs) };
}

function heldId(lease: ThrottleLease): string {
  return `${lease.key}\n${lease.place}\n${lease.owner}`;
}
