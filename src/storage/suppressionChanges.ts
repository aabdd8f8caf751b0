// The suppression list's change marks: 64 rows in the suppressions table (PartitionKey "!changes",
// which no address can be; RowKey the bucket of an address's hash) that every write of an entry
// touches, before and after the entry. A row's Timestamp, set by the storage service, says when an
// address of its bucket last changed. The accept looks every recipient up; a delivery whose accept
// looked the list up after its bucket last changed need not look the address up again. All the marks
// are one query of one partition, which the deliveries running at the same moment share, and a
// bounce touches one bucket of 64, so a steady trickle of bounces leaves most deliveries unaffected.
// Touching before the entry as well as after closes the moment between the entry's write and the
// second touch, when the entry exists but its mark still looks old. A reader that finds marks missing
// writes them: a later Timestamp only ever makes a reader look again.
import { createHash } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { changedSinceLookup } from '../core/suppression';

export const MARKS_PARTITION = '!changes';
const BUCKETS = 64;

/** The RowKey of the mark an address's writes touch. */
export function markOf(address: string): string {
  const bucket = createHash('sha1').update(address.toLowerCase()).digest().readUInt16BE(0) % BUCKETS;
  return `b${String(bucket).padStart(2, '0')}`;
}

const ALL_MARKS = Array.from({ length: BUCKETS }, (_, i) => `b${String(i).padStart(2, '0')}`);

type Marks = ReadonlyMap<string, Date>;

export class SuppressionChanges {
  #inFlight: Promise<Marks> | undefined;
  #next: Promise<Marks> | undefined;

  constructor(private readonly table: TableClient) {}

  async touch(address: string): Promise<void> {
    await this.table.upsertEntity({ partitionKey: MARKS_PARTITION, rowKey: markOf(address) }, 'Replace');
  }

  /** True unless the address's mark shows no change since `at` (core/suppression.ts); no mark: true. */
  async changedSince(address: string, at: Date): Promise<boolean> {
    return changedSinceLookup((await this.#marks()).get(markOf(address)), at);
  }

  /**
   * One read serves every caller that asked before it was sent. A caller that asks while one is in
   * flight waits for the next, so no answer is older than the question.
   */
  #marks(): Promise<Marks> {
    if (this.#inFlight === undefined) return this.#read();
    this.#next ??= this.#inFlight.then(
      () => this.#afterInFlight(),
      () => this.#afterInFlight(),
    );
    return this.#next;
  }

  #afterInFlight(): Promise<Marks> {
    this.#next = undefined;
    return this.#read();
  }

  #read(): Promise<Marks> {
    const read = this.#fetch();
    this.#inFlight = read;
    const settled = () => {
      if (this.#inFlight === read) this.#inFlight = undefined;
    };
    read.then(settled, settled);
    return read;
  }

  async #fetch(): Promise<Marks> {
    const marks = new Map<string, Date>();
    const filter = odata`PartitionKey eq ${MARKS_PARTITION}`;
    for await (const entity of this.table.listEntities({ queryOptions: { filter, select: ['RowKey', 'Timestamp'] } })) {
      const at = typeof entity.timestamp === 'string' ? Date.parse(entity.timestamp) : NaN;
      if (Number.isFinite(at)) marks.set(String(entity.rowKey), new Date(at));
    }
    const missing = ALL_MARKS.filter((mark) => !marks.has(mark));
    if (missing.length > 0) {
      const writes = missing.map((rowKey): TransactionAction => ['upsert', { partitionKey: MARKS_PARTITION, rowKey }, 'Replace']);
      await this.table.submitTransaction(writes).catch(() => undefined);
    }
    return marks;
  }
}
