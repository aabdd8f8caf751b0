// Group commits per table partition. Writes that share a PartitionKey may go in one entity group
// transaction (at most 100 actions, 4 MiB), which costs one storage transaction instead of one
// each. A caller hands in a group of entities (one partition) and awaits that group's outcome:
//
// - Nothing in flight for the partition: the group's transaction starts at once (no added latency
//   for a lone write). While it is in flight, the groups that arrive wait and then go together in
//   the next one, as many as fit.
// - A group is never split: its entities are stored all together or not at all, as when it went
//   alone. A group too large to share a transaction goes in one of its own.
// - The same RowKey twice in one transaction is refused by the service, so a group that repeats a
//   key already in the transaction being gathered waits for the next (an upsert rewritten by a
//   retry, the same event recorded twice), and the two upserts keep their order.
// - When a shared transaction fails, nothing in it was written (a group transaction is atomic), so
//   telling every caller in it that its write failed is true for each of them: none is left
//   believing in a row that is not there, and none needs an undo. When the service refused the
//   transaction's content (a 4xx: an entity too large, a bad property), each group is tried again
//   alone, so that one caller's bad entity fails that caller only. When the service or the network
//   failed (a 5xx, a timeout, after the SDK's own retries), every caller gets that error: trying
//   each alone would multiply the requests against a service that is already failing.
//
// A caller may also ask to gather (`gatherMs`): when the partition's previous group arrived less
// than that ago (a stream of writes, not a lone one), its transaction waits that long for the next
// to join. Only for writes nobody waits on (EventLog: the events of paced sends); a caller that
// does not gather ends the wait at once, and a lone write never waits.
import { RestError, type TransactionAction } from '@azure/data-tables';
import { asError } from '../errors';

export type TableEntity = Record<string, unknown> & { partitionKey: string; rowKey: string };

/** What the commits need of a table client (a fake one in the unit tests). */
export interface CommitTable {
  upsertEntity(entity: TableEntity, mode: 'Replace'): Promise<unknown>;
  submitTransaction(actions: TransactionAction[]): Promise<unknown>;
}

export const MAX_TRANSACTION_ACTIONS = 100;
/** Well under a transaction's 4 MiB, counting an entity's JSON as its size. */
export const MAX_TRANSACTION_CHARS = 2 * 1024 * 1024;

interface Group {
  entities: readonly TableEntity[];
  chars: number;
  done: (err?: unknown) => void;
}

interface Partition {
  waiting: Group[];
  inFlight: boolean;
  /** when its last group arrived (the clock's ms) */
  lastArrival: number;
  gathering?: ReturnType<typeof setTimeout>;
}

export class PartitionCommits {
  readonly #partitions = new Map<string, Partition>();

  constructor(
    private readonly table: CommitTable,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Upserts (replace) the group's entities, all of one partition, in one transaction with others' waiting. */
  upsert(entities: readonly TableEntity[], gatherMs = 0): Promise<void> {
    const [first] = entities;
    if (!first) return Promise.resolve();
    const key = first.partitionKey;
    if (entities.some((e) => e.partitionKey !== key)) return Promise.reject(new Error('a group of entities must share one partition'));
    return new Promise<void>((resolve, reject) => {
      const partition = this.#partition(key);
      const now = this.now();
      const streaming = now - partition.lastArrival < gatherMs;
      partition.lastArrival = now;
      const chars = entities.reduce((n, e) => n + JSON.stringify(e).length, 0);
      partition.waiting.push({ entities, chars, done: (err) => (err === undefined ? resolve() : reject(asError(err))) });
      if (partition.inFlight) return;
      if (partition.gathering !== undefined) {
        if (gatherMs > 0 && !isFull(partition.waiting)) return;
        clearTimeout(partition.gathering);
        partition.gathering = undefined;
      } else if (streaming) {
        partition.gathering = setTimeout(() => {
          partition.gathering = undefined;
          void this.#drain(partition);
        }, gatherMs);
        return;
      }
      void this.#drain(partition);
    });
  }

  #partition(key: string): Partition {
    const known = this.#partitions.get(key);
    if (known) return known;
    // partitions are hours: forget the idle ones when a new one starts
    for (const [other, p] of this.#partitions) if (!p.inFlight && p.gathering === undefined && p.waiting.length === 0) this.#partitions.delete(other);
    const partition: Partition = { waiting: [], inFlight: false, lastArrival: Number.NEGATIVE_INFINITY };
    this.#partitions.set(key, partition);
    return partition;
  }

  async #drain(partition: Partition): Promise<void> {
    partition.inFlight = true;
    try {
      while (partition.waiting.length > 0) await this.#commit(take(partition.waiting));
    } finally {
      partition.inFlight = false;
    }
  }

  async #commit(groups: Group[]): Promise<void> {
    try {
      const entities = groups.flatMap((g) => g.entities);
      if (entities.length === 1) {
        // one row: a plain upsert, as cheap as a transaction and simpler for the service
        await this.table.upsertEntity(entities[0], 'Replace');
      } else {
        await this.table.submitTransaction(entities.map((e): TransactionAction => ['upsert', e, 'Replace']));
      }
      for (const g of groups) g.done();
    } catch (err) {
      if (groups.length > 1 && isRefusal(err)) {
        for (const g of groups) await this.#commit([g]);
        return;
      }
      for (const g of groups) g.done(err ?? new Error('the table write failed'));
    }
  }
}

/** The groups of the next transaction, in order: the first always, then as many as fit. */
function take(waiting: Group[]): Group[] {
  const keys = new Set<string>();
  let actions = 0;
  let chars = 0;
  let n = 0;
  for (; n < waiting.length; n++) {
    const group = waiting[n];
    const fits =
      actions + group.entities.length <= MAX_TRANSACTION_ACTIONS &&
      chars + group.chars <= MAX_TRANSACTION_CHARS &&
      !group.entities.some((e) => keys.has(e.rowKey));
    if (n > 0 && !fits) break;
    actions += group.entities.length;
    chars += group.chars;
    for (const e of group.entities) keys.add(e.rowKey);
  }
  return waiting.splice(0, Math.max(1, n));
}

function isFull(waiting: readonly Group[]): boolean {
  return waiting.reduce((n, g) => n + g.entities.length, 0) >= MAX_TRANSACTION_ACTIONS;
}

/** The service refused what was sent (not a failure of the service or the network): another transaction may succeed. */
function isRefusal(err: unknown): boolean {
  return (
    err instanceof RestError &&
    err.statusCode !== undefined &&
    err.statusCode >= 400 &&
    err.statusCode < 500 &&
    err.statusCode !== 408 &&
    err.statusCode !== 429
  );
}
