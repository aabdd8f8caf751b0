// The senders table: the bounce-rate breaker's counts and states, one partition per sender domain.
//   RowKey "state"                              the domain's state (core/breaker SenderStatus), ETag-conditional
//   RowKey "c|<segment>|<hour>|<instance id>"   one instance's totals for one hour since one resume
// Counting costs the hot path nothing: record() adds to memory, and a timer writes each instance's own
// rows (so instances never contend on one entity), then reads the domain's partition once to judge
// it. The segment is the last resume's time, so a resume starts counting anew without deleting rows.
import { randomBytes } from 'node:crypto';
import { RestError, type TableClient, type TableEntityResult } from '@azure/data-tables';
import type { RelayConfig } from '../config';
import {
  addCounts,
  breakerRates,
  breakerRefreshMs,
  type BreakerCounts,
  type BreakerThresholds,
  countBucket,
  currentState,
  evaluateBreaker,
  manualPause,
  NEVER_SEEN,
  NO_COUNTS,
  resumeSender,
  type SenderStatus,
  windowStart,
} from '../core/breaker';
import { summarizeError } from '../errors';
import type { RelayLog } from '../relay/deps';
import type { SenderCounts, SenderPause, SenderReputation, SenderView } from '../relay/ports';

const STATE_ROW = 'state';
/** Conditional writes that lose a race are read and tried again this often before giving up. */
const WRITE_TRIES = 5;

interface Known {
  status: SenderStatus;
  /** the state row's version; undefined while the domain has no state row */
  etag?: string;
  fetchedAt: number;
}

interface Tally {
  domain: string;
  bucket: string;
  /** this instance's totals for the hour in the current segment */
  counts: BreakerCounts;
  dirty: boolean;
}

interface Partition {
  status: SenderStatus;
  etag?: string;
  counts: BreakerCounts;
  windowStart: Date;
}

/** Outside an invocation there is no invocation logger: the Functions host collects the console. */
const CONSOLE_LOG: RelayLog = {
  log: (m) => console.log(m),
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

export class SenderStore implements SenderReputation {
  /**
   * Random per process: the rows hold this instance's running totals, so a restarted process must
   * not overwrite its predecessor's rows with smaller ones.
   */
  readonly instanceId = randomBytes(6).toString('hex');
  readonly refreshMs: number;
  private readonly thresholds: BreakerThresholds;
  private readonly tallies = new Map<string, Tally>();
  private readonly known = new Map<string, Known>();
  private readonly reading = new Map<string, Promise<Known>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly table: TableClient,
    config: RelayConfig,
    private readonly log: RelayLog = CONSOLE_LOG,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.thresholds = config.breaker;
    this.refreshMs = breakerRefreshMs(config.holdRecheckSeconds);
  }

  record(senderDomain: string, counts: SenderCounts, at: Date): void {
    const bucket = countBucket(at);
    const key = `${senderDomain}\n${bucket}`;
    const tally = this.tallies.get(key) ?? { domain: senderDomain, bucket, counts: NO_COUNTS, dirty: false };
    tally.counts = addCounts(tally.counts, counts);
    tally.dirty = true;
    this.tallies.set(key, tally);
    this.timer ??= setInterval(() => {
      this.flush().catch((err: unknown) => this.log.error(`sender counts could not be written, kept for the next try (${summarizeError(err)})`));
    }, this.refreshMs).unref();
  }

  async pauseOf(senderDomain: string): Promise<SenderPause | undefined> {
    const cached = this.known.get(senderDomain);
    let known = cached;
    if (!cached || this.now().getTime() - cached.fetchedAt >= this.refreshMs) {
      try {
        known = await this.readState(senderDomain);
      } catch (err) {
        // A pause read a moment ago is still the best answer while storage does not answer; the
        // next read is tried after another interval, not at every send.
        if (!cached) throw err;
        this.known.set(senderDomain, { ...cached, fetchedAt: this.now().getTime() });
        this.log.warn(`sender ${senderDomain}: its state could not be read, using the one read before (${summarizeError(err)})`);
      }
    }
    const status = known?.status ?? NEVER_SEEN;
    if (status.state !== 'paused') return undefined;
    return { domain: senderDomain, since: status.pausedAt ?? new Date(0), reason: status.pausedReason ?? '' };
  }

  async view(senderDomain: string): Promise<SenderView> {
    return this.toView(senderDomain, await this.readPartition(senderDomain));
  }

  async resume(senderDomain: string, at: Date): Promise<SenderView> {
    if (await this.changeState(senderDomain, (s) => resumeSender(s, at))) this.log.log(`sender ${senderDomain}: resumed by an operator; counting starts again`);
    return this.view(senderDomain);
  }

  async pause(senderDomain: string, reason: string, at: Date): Promise<SenderView> {
    if (await this.changeState(senderDomain, (s) => manualPause(s, reason, at))) this.log.warn(`sender ${senderDomain}: paused by an operator (${reason})`);
    return this.view(senderDomain);
  }

  /** One flush at a time; a second caller waits for the one under way and then runs its own. */
  flush(): Promise<void> {
    const next = this.flushing.catch(() => undefined).then(() => this.writeCounts());
    this.flushing = next;
    return next;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async writeCounts(): Promise<void> {
    const domains = new Set([...this.tallies.values()].filter((t) => t.dirty).map((t) => t.domain));
    const failures: unknown[] = [];
    for (const domain of domains) {
      try {
        await this.writeDomain(domain);
        await this.judge(domain);
      } catch (err) {
        failures.push(err);
      }
    }
    this.prune();
    if (failures.length > 0) throw failures[0];
  }

  private async writeDomain(domain: string): Promise<void> {
    // Counts belong to the segment of the last resume this instance knows of.
    const known = this.known.get(domain) ?? (await this.readState(domain));
    const segment = segmentOf(known.status.resumedAt);
    for (const tally of this.tallies.values()) {
      if (tally.domain !== domain || !tally.dirty) continue;
      const counts = tally.counts;
      tally.dirty = false;
      try {
        await this.table.upsertEntity({ partitionKey: domain, rowKey: `c|${segment}|${tally.bucket}|${this.instanceId}`, ...counts }, 'Replace');
      } catch (err) {
        tally.dirty = true;
        throw err;
      }
    }
  }

  /** Reads the domain's counts and moves its state if they call for it; the conditional write makes the change, and its log line, once. */
  private async judge(domain: string): Promise<void> {
    const read = await this.readPartition(domain);
    const change = evaluateBreaker(read.status, read.counts, this.thresholds, this.now());
    if (!change) return;
    const etag = await this.writeState(domain, change.next, read.etag);
    if (etag !== undefined) this.log[change.level](`sender ${domain}: ${change.message}`);
  }

  /** Applies `change` to the stored state, retrying lost races; whether it changed anything. */
  private async changeState(domain: string, change: (s: SenderStatus) => SenderStatus | undefined): Promise<boolean> {
    for (let i = 0; i < WRITE_TRIES; i++) {
      const known = await this.readState(domain);
      const next = change(known.status);
      if (!next) return false;
      if ((await this.writeState(domain, next, known.etag)) !== undefined) return true;
    }
    throw new Error(`sender ${domain}: its state kept changing under ${WRITE_TRIES} tries to write it`);
  }

  /** Writes the state row if it is still at `etag` (absent when undefined); the new version, or undefined if another writer got there first. */
  private async writeState(domain: string, status: SenderStatus, etag: string | undefined): Promise<string | undefined> {
    const entity = toStateEntity(domain, status);
    try {
      const written = etag === undefined ? await this.table.createEntity(entity) : await this.table.updateEntity(entity, 'Replace', { etag });
      if (written.etag) this.setKnown(domain, { status, etag: written.etag, fetchedAt: this.now().getTime() });
      return written.etag ?? '';
    } catch (err) {
      if (err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412)) return undefined;
      throw err;
    }
  }

  private readState(domain: string): Promise<Known> {
    const under = this.reading.get(domain);
    if (under) return under;
    const read = this.table
      .getEntity<Record<string, unknown>>(domain, STATE_ROW)
      .then(
        (entity) => ({ status: fromStateEntity(entity), etag: entity.etag, fetchedAt: this.now().getTime() }),
        (err: unknown) => {
          if (err instanceof RestError && err.statusCode === 404) return { status: NEVER_SEEN, fetchedAt: this.now().getTime() };
          throw err;
        },
      )
      .then((known: Known) => this.setKnown(domain, known))
      .finally(() => this.reading.delete(domain));
    this.reading.set(domain, read);
    return read;
  }

  /** The state row and every instance's counts in the window, in one query (twice if a resume moved the segment meanwhile). */
  private async readPartition(domain: string): Promise<Partition> {
    const now = this.now();
    let segmentAt = this.known.get(domain)?.status.resumedAt;
    for (let tries = 1; ; tries++) {
      const start = windowStart(now, this.thresholds.windowHours, segmentAt);
      const from = `c|${segmentOf(segmentAt)}|${countBucket(start)}`;
      const until = `c|${segmentOf(segmentAt)}|~`;
      const filter = `PartitionKey eq '${quote(domain)}' and (RowKey eq '${STATE_ROW}' or (RowKey ge '${quote(from)}' and RowKey lt '${quote(until)}'))`;
      let state: TableEntityResult<Record<string, unknown>> | undefined;
      let counts = NO_COUNTS;
      for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        if (entity.rowKey === STATE_ROW) state = entity;
        else counts = addCounts(counts, { attempts: num(entity.attempts), hardBounces: num(entity.hardBounces), complaints: num(entity.complaints) });
      }
      const status = state ? fromStateEntity(state) : NEVER_SEEN;
      this.setKnown(domain, { status, etag: state?.etag, fetchedAt: now.getTime() });
      if (segmentOf(status.resumedAt) === segmentOf(segmentAt) || tries === WRITE_TRIES) return { status, etag: state?.etag, counts, windowStart: start };
      segmentAt = status.resumedAt;
    }
  }

  /** A resume this instance had not seen drops its counts not yet written: they were made before it learnt of the resume. */
  private setKnown(domain: string, known: Known): Known {
    const before = this.known.get(domain);
    if (before && segmentOf(before.status.resumedAt) !== segmentOf(known.status.resumedAt)) {
      for (const [key, tally] of this.tallies) if (tally.domain === domain) this.tallies.delete(key);
    }
    this.known.set(domain, known);
    return known;
  }

  /** Forgets hours that have left the window once they are written. */
  private prune(): void {
    const oldest = countBucket(windowStart(this.now(), this.thresholds.windowHours, undefined));
    for (const [key, tally] of this.tallies) if (!tally.dirty && tally.bucket < oldest) this.tallies.delete(key);
  }

  private toView(domain: string, read: Partition): SenderView {
    const { status, counts } = read;
    return {
      domain,
      state: currentState(status, counts, this.thresholds),
      windowStart: read.windowStart.toISOString(),
      ...counts,
      ...breakerRates(counts),
      pausedAt: status.pausedAt?.toISOString() ?? null,
      pausedReason: status.pausedReason ?? null,
      resumedAt: status.resumedAt?.toISOString() ?? null,
      thresholds: { ...this.thresholds },
    };
  }
}

/** Sorts as time: the last resume in milliseconds, zero-padded (all zeros before any resume). */
function segmentOf(resumedAt: Date | undefined): string {
  return String(resumedAt?.getTime() ?? 0).padStart(15, '0');
}

function quote(value: string): string {
  return value.replace(/'/g, "''");
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function toStateEntity(domain: string, status: SenderStatus): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = { partitionKey: domain, rowKey: STATE_ROW, state: status.state };
  if (status.pausedAt) entity.pausedAt = status.pausedAt;
  if (status.pausedReason !== undefined) entity.pausedReason = status.pausedReason;
  if (status.resumedAt) entity.resumedAt = status.resumedAt;
  return entity;
}

function fromStateEntity(entity: Record<string, unknown>): SenderStatus {
  const state = entity.state === 'paused' || entity.state === 'warning' ? entity.state : 'active';
  return {
    state,
    pausedAt: toDate(entity.pausedAt),
    pausedReason: typeof entity.pausedReason === 'string' ? entity.pausedReason : undefined,
    resumedAt: toDate(entity.resumedAt),
  };
}

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'string' && value) return new Date(value);
  return undefined;
}
