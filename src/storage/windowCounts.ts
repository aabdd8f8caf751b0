// Fixed-window caps shared by every instance (Throttles.reserveInWindows; the warm-up), in the shaping
// table: PartitionKey <limit key>, RowKey "win|<seconds>|<window start ISO>", property `count`.
// A send counts in the windows of the first moment all its limits have room (core/policy/warmup
// placeInWindows), each row one conditional write (If-Match, or create for a window not counted in
// yet). The counts and ETags this instance last saw are kept, read once per key and window length
// with one query for every window from the current one on, so an uncontended send is one write per
// row and no read; a lost race (409/412) re-reads that row and places the send again, a bounded
// number of times with jitter, and then throws: it never fails open. A row a retry no longer needs
// is counted down again; if that too keeps losing, the phantom count stays (a send less, never more).
import { setTimeout as delay } from 'node:timers/promises';
import { RestError, type TableClient } from '@azure/data-tables';
import { placeInWindows, windowStart } from '../core/policy/warmup';
import type { ThrottleLimit, WindowReservation } from '../relay/ports';
import { BACKOFF_MS, lostRace, partitionKey, ThrottleContendedError, WRITE_TRIES } from './shapingRows';

const WINDOW_PREFIX = 'win|';

interface Counted {
  count: number;
  /** undefined: the row was not there when last seen */
  etag?: string;
}

/** A key's windows of one length, as last seen: complete from the window starting at `from`. */
interface Series {
  from: number;
  rows: Map<number, Counted>;
}

interface WindowRow {
  key: string;
  seconds: number;
  start: number;
}

export class WindowCounts {
  /** by "key\nseconds" */
  private readonly series = new Map<string, Series>();
  /** one reservation at a time per instance: it races the other instances, never itself */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly table: TableClient,
    private readonly random: () => number = Math.random,
  ) {}

  reserve(limits: readonly ThrottleLimit[], now: Date): Promise<WindowReservation> {
    const unique = [...new Map(limits.map((l) => [l.key, l])).values()];
    const run = this.queue.then(() => this.reserveOnce(unique, now.getTime()));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reserveOnce(limits: readonly ThrottleLimit[], now: number): Promise<WindowReservation> {
    /** the rows this reservation has counted in already, by rowId */
    const mine = new Map<string, WindowRow>();
    /** rows read again for `movedBy` (below) in this reservation */
    const verified = new Set<string>();
    for (let tries = 1; tries <= WRITE_TRIES; tries++) {
      await this.load(limits, now);
      const checked: WindowRow[] = [];
      const placed = placeInWindows(limits, now, (key, seconds, start) => {
        checked.push({ key, seconds, start });
        const count = this.countOf({ key, seconds, start });
        return mine.has(rowId({ key, seconds, start })) ? count - 1 : count;
      });
      const wanted = limits.flatMap((l) => l.windows.map((w) => ({ key: l.key, seconds: w.seconds, start: windowStart(new Date(placed.at), w.seconds) })));
      const wantedIds = new Set(wanted.map(rowId));
      // A window seen with room on the way to a later moment decides nothing about that moment, but
      // had it been seen full it would have moved the send first: read it again so movedBy is the
      // limit storage says (one limit is its own movedBy, whatever the order).
      const unsure = limits.length < 2 ? [] : checked.filter((row) => !wantedIds.has(rowId(row)) && !verified.has(rowId(row)) && !this.full(row, limits));
      if (unsure.length > 0) {
        unsure.forEach((row) => verified.add(rowId(row)));
        if (await this.readAgain(unsure)) {
          tries--;
          continue;
        }
      }
      const toCount = wanted.filter((row) => !mine.has(rowId(row)));
      const won = await Promise.all(toCount.map((row) => this.add(row, 1)));
      toCount.forEach((row, i) => won[i] && mine.set(rowId(row), row));
      if (won.every(Boolean)) {
        await this.countDown([...mine.values()].filter((row) => !wantedIds.has(rowId(row))));
        return placed.movedBy === undefined ? { at: new Date(placed.at) } : { at: new Date(placed.at), movedBy: placed.movedBy };
      }
      await delay(BACKOFF_MS * tries * (0.5 + this.random()));
    }
    await this.countDown([...mine.values()]);
    const keys = limits.map((l) => l.key).join(', ');
    throw new ThrottleContendedError(`the window counts of ${keys} kept changing under ${WRITE_TRIES} tries to count a send`);
  }

  /** Reads, with one query each, the windows from now on of every key and length not known from there. */
  private async load(limits: readonly ThrottleLimit[], now: number): Promise<void> {
    const missing: { id: string; key: string; seconds: number; from: number }[] = [];
    for (const limit of limits) {
      for (const w of limit.windows) {
        const id = seriesId(limit.key, w.seconds);
        const from = windowStart(new Date(now), w.seconds);
        const known = this.series.get(id);
        if (known && known.from <= from) {
          prune(known, from - w.seconds * 1000);
          continue;
        }
        missing.push({ id, key: limit.key, seconds: w.seconds, from });
      }
    }
    await Promise.all(
      missing.map(async ({ id, key, seconds, from }) => {
        const pk = partitionKey(key).replace(/'/g, "''");
        const prefix = `${WINDOW_PREFIX}${seconds}|`;
        const filter = `PartitionKey eq '${pk}' and RowKey ge '${prefix}${new Date(from).toISOString()}' and RowKey lt '${prefix}~'`;
        const rows = new Map<number, Counted>();
        for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
          const start = Date.parse((entity.rowKey ?? '').slice(prefix.length));
          if (Number.isFinite(start) && entity.etag) rows.set(start, { count: Number(entity.count) || 0, etag: entity.etag });
        }
        this.series.set(id, { from, rows });
      }),
    );
  }

  private countOf(row: WindowRow): number {
    return this.series.get(seriesId(row.key, row.seconds))?.rows.get(row.start)?.count ?? 0;
  }

  /** Adds `delta` to a window's count over the count last seen; false (and the row read again) when it lost. */
  private async add(row: WindowRow, delta: number): Promise<boolean> {
    const rows = this.series.get(seriesId(row.key, row.seconds))!.rows;
    const seen = rows.get(row.start) ?? { count: 0 };
    const entity = { partitionKey: partitionKey(row.key), rowKey: rowKey(row), count: Math.max(0, seen.count + delta) };
    try {
      const written = seen.etag === undefined ? await this.table.createEntity(entity) : await this.table.updateEntity(entity, 'Replace', { etag: seen.etag });
      if (!written.etag) throw new Error(`the shaping table answered a write of ${row.key} without an ETag`);
      rows.set(row.start, { count: entity.count, etag: written.etag });
      return true;
    } catch (err) {
      if (!lostRace(err)) throw err;
    }
    await this.read(row);
    return false;
  }

  private full(row: WindowRow, limits: readonly ThrottleLimit[]): boolean {
    const cap = limits.find((l) => l.key === row.key)?.windows.find((w) => w.seconds === row.seconds)?.count ?? 0;
    return this.countOf(row) >= cap;
  }

  /** Reads rows again; true when any count changed. */
  private async readAgain(rows: readonly WindowRow[]): Promise<boolean> {
    const before = rows.map((row) => this.countOf(row));
    await Promise.all(rows.map((row) => this.read(row)));
    return rows.some((row, i) => this.countOf(row) !== before[i]);
  }

  private async read(row: WindowRow): Promise<void> {
    const rows = this.series.get(seriesId(row.key, row.seconds))!.rows;
    try {
      const entity = await this.table.getEntity<Record<string, unknown>>(partitionKey(row.key), rowKey(row));
      rows.set(row.start, { count: Number(entity.count) || 0, etag: entity.etag });
    } catch (err) {
      if (!(err instanceof RestError && err.statusCode === 404)) throw err;
      rows.set(row.start, { count: 0 });
    }
  }

  /** Gives back the counts of rows a reservation left; best effort: a count left over only wastes a send. */
  private async countDown(rows: readonly WindowRow[]): Promise<void> {
    await Promise.all(
      rows.map(async (row) => {
        try {
          for (let tries = 1; tries <= WRITE_TRIES && !(await this.add(row, -1)); tries++) await delay(BACKOFF_MS * tries * (0.5 + this.random()));
        } catch {
          // storage failed: the phantom count stays, the reservation itself holds
        }
      }),
    );
  }
}

function prune(series: Series, keepFrom: number): void {
  for (const start of series.rows.keys()) if (start < keepFrom) series.rows.delete(start);
  series.from = Math.max(series.from, keepFrom);
}

function seriesId(key: string, seconds: number): string {
  return `${key}\n${seconds}`;
}

function rowId(row: WindowRow): string {
  return `${row.key}\n${row.seconds}\n${row.start}`;
}

function rowKey(row: WindowRow): string {
  return `${WINDOW_PREFIX}${row.seconds}|${new Date(row.start).toISOString()}`;
}
