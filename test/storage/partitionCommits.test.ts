// Group commits per partition, against an in-memory fake of the table client that holds each write
// until the test lets it end: a lone write starts at once, the groups that arrive while one is in
// flight go together in the next transaction, a group is never split, a repeated RowKey waits for
// the next transaction, a failure of the service fails every caller of the transaction, a refusal
// of its content fails only the group that was refused, and a caller that gathers waits for others
// only in a stream of writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestError, type TransactionAction } from '@azure/data-tables';
import { type CommitTable, MAX_TRANSACTION_ACTIONS, PartitionCommits, type TableEntity } from '../../src/storage/partitionCommits';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

interface Write {
  rowKeys: string[];
  end(err?: Error): void;
}

/** In-memory fake: records each write's RowKeys; a write ends when the test ends it (or at once with `auto`). */
class FakeTable implements CommitTable {
  readonly writes: Write[] = [];
  readonly stored = new Map<string, TableEntity>();
  auto = false;
  /** the error a write of these keys ends with, when `auto` */
  refuse: (rowKeys: string[]) => Error | undefined = () => undefined;

  upsertEntity(entity: TableEntity): Promise<unknown> {
    return this.#write([entity]);
  }

  submitTransaction(actions: TransactionAction[]): Promise<unknown> {
    return this.#write(actions.map((a) => a[1] as TableEntity));
  }

  /** the RowKeys of each write so far, in order */
  get shapes(): string[][] {
    return this.writes.map((w) => w.rowKeys);
  }

  #write(entities: TableEntity[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const rowKeys = entities.map((e) => e.rowKey);
      const end = (err?: Error) => {
        if (err) return reject(err);
        for (const e of entities) this.stored.set(e.rowKey, e);
        resolve({});
      };
      this.writes.push({ rowKeys, end });
      if (this.auto) setImmediate(() => end(this.refuse(rowKeys)));
    });
  }
}

const row = (rowKey: string, extra: Record<string, unknown> = {}): TableEntity => ({ partitionKey: '2026120109', rowKey, ...extra });
const rows = (prefix: string, n: number): TableEntity[] => Array.from({ length: n }, (_, i) => row(`${prefix}${i}`));

/** Lets pending callbacks and timers of 0 ms run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('a lone write starts at once, as a plain upsert', FILE_TIMEOUT, async () => {
  const table = new FakeTable();
  const commits = new PartitionCommits(table);
  const done = commits.upsert([row('a')]);
  assert.deepEqual(table.shapes, [['a']], 'the write started before the caller awaited anything');
  table.writes[0].end();
  await done;
  assert.ok(table.stored.has('a'));
});

test('the groups that arrive while a write is in flight go together in the next transaction; each caller awaits its own', FILE_TIMEOUT, async () => {
  const table = new FakeTable();
  const commits = new PartitionCommits(table);
  const first = commits.upsert([row('first')]);
  let ended = 0;
  const later = Array.from({ length: 8 }, (_, i) => commits.upsert(rows(`m${i}-`, 2)).then(() => void ended++));
  await settle();
  assert.equal(table.writes.length, 1, 'nothing else starts while the first is in flight');
  table.writes[0].end();
  await first;
  await settle();
  assert.equal(table.writes.length, 2);
  assert.equal(table.writes[1].rowKeys.length, 16, "all 8 messages' rows in one transaction");
  assert.equal(ended, 0, 'no caller is told before its transaction ends');
  table.writes[1].end();
  await Promise.all(later);
  assert.equal(table.stored.size, 17);
});

test('a group is never split: one that does not fit beside the others waits for the next transaction', FILE_TIMEOUT, async () => {
  const table = new FakeTable();
  const commits = new PartitionCommits(table);
  table.auto = true;
  const first = commits.upsert([row('first')]);
  const groups = [rows('a', 60), rows('b', 30), rows('c', 20), rows('d', 5)].map((g) => commits.upsert(g));
  await Promise.all([first, ...groups]);
  const sizes = table.shapes.map((keys) => keys.length);
  assert.deepEqual(sizes, [1, 90, 25], 'a+b fit 100, c does not, so c and d go next');
  for (const keys of table.shapes) assert.ok(keys.length <= MAX_TRANSACTION_ACTIONS);
  const groupOf = (key: string) => key[0];
  for (const prefix of 'abcd')
    assert.equal(new Set(table.shapes.filter((k) => k.some((key) => groupOf(key) === prefix))).size, 1, `group ${prefix} in one write`);
});

test('a group larger than a transaction allows goes alone; one far larger than 4 MiB allows, too', FILE_TIMEOUT, async () => {
  const table = new FakeTable();
  const commits = new PartitionCommits(table);
  table.auto = true;
  const big = 'x'.repeat(700 * 1024);
  const first = commits.upsert([row('first')]);
  const heavy = [1, 2, 3, 4].map((i) => commits.upsert([row(`heavy${i}`, { big })]));
  const tooMany = commits.upsert(rows('many', 120));
  await Promise.all([first, ...heavy, tooMany]);
  assert.deepEqual(
    table.shapes.map((keys) => keys.length),
    [1, 2, 2, 120],
    'two entities of 700 KiB per transaction (under 2 MiB of JSON), then the oversized group on its own',
  );
});

test('the same RowKey twice goes in two transactions, in the order written', FILE_TIMEOUT, async () => {
  const table = new FakeTable();
  const commits = new PartitionCommits(table);
  table.auto = true;
  const first = commits.upsert([row('first')]);
  const again = [commits.upsert([row('k', { v: 1 })]), commits.upsert([row('other')]), commits.upsert([row('k', { v: 2 })])];
  await Promise.all([first, ...again]);
  assert.deepEqual(table.shapes, [['first'], ['k', 'other'], ['k']]);
  assert.equal(table.stored.get('k')?.v, 2, 'the later upsert is the one kept');
});

test("a transaction the service failed fails every caller in it, with the service's error, and is not tried again", FILE_TIMEOUT, async () => {
  const table = new FakeTable();
  const commits = new PartitionCommits(table);
  const first = commits.upsert([row('first')]);
  const shared = [commits.upsert(rows('a', 2)), commits.upsert(rows('b', 3))];
  table.writes[0].end();
  await first;
  await settle();
  const busy = new RestError('The server is busy', { statusCode: 503 });
  table.writes[1].end(busy);
  for (const outcome of await Promise.allSettled(shared)) {
    assert.equal(outcome.status, 'rejected');
    assert.equal(outcome.reason, busy);
  }
  assert.equal(table.writes.length, 2, 'nothing written, nothing retried');
  assert.equal(table.stored.size, 1);
  // the partition carries on: the next write starts at once
  table.auto = true;
  await commits.upsert([row('after')]);
  assert.ok(table.stored.has('after'));
});

test('a transaction whose content the service refused is tried again group by group: only the bad one fails', FILE_TIMEOUT, async () => {
  const table = new FakeTable();
  const commits = new PartitionCommits(table);
  table.auto = true;
  const refusal = new RestError('0:The property value exceeds the maximum allowed size (64KB)', { statusCode: 400 });
  table.refuse = (keys) => (keys.includes('bad0') ? refusal : undefined);
  const first = commits.upsert([row('first')]);
  const outcomes = Promise.allSettled([commits.upsert(rows('a', 2)), commits.upsert(rows('bad', 2)), commits.upsert(rows('c', 2))]);
  await first;
  const [a, bad, c] = await outcomes;
  assert.equal(a.status, 'fulfilled');
  assert.equal(c.status, 'fulfilled');
  assert.equal(bad.status, 'rejected');
  assert.equal(bad.reason, refusal);
  assert.deepEqual(table.shapes, [['first'], ['a0', 'a1', 'bad0', 'bad1', 'c0', 'c1'], ['a0', 'a1'], ['bad0', 'bad1'], ['c0', 'c1']]);
  assert.ok(!table.stored.has('bad1'), "the refused group's rows are all absent");
});

test('partitions do not wait for each other; a group of two partitions is refused', FILE_TIMEOUT, async () => {
  const table = new FakeTable();
  const commits = new PartitionCommits(table);
  void commits.upsert([row('a')]);
  void commits.upsert([{ partitionKey: '2026120110', rowKey: 'b' }]);
  assert.equal(table.writes.length, 2, 'the second hour did not wait for the first');
  await assert.rejects(commits.upsert([row('c'), { partitionKey: '2026120110', rowKey: 'd' }]), /one partition/);
  for (const w of table.writes) w.end();
});

test('a gathering caller waits for others only when the previous write arrived within its window', FILE_TIMEOUT, async () => {
  let clock = 1_000_000;
  const table = new FakeTable();
  const commits = new PartitionCommits(table, () => clock);
  table.auto = true;
  const WINDOW = 50;
  // idle partition: no wait
  const lone = commits.upsert([row('lone')], WINDOW);
  assert.equal(table.writes.length, 1, 'nothing arrived before: the write starts at once');
  await lone;
  await settle();
  clock += 10;
  // the previous one arrived 10 ms ago: a stream, so this one waits and the next one joins it
  const j1 = commits.upsert([row('j1')], WINDOW);
  await settle();
  assert.equal(table.writes.length, 1, 'waiting for others to join');
  const j2 = commits.upsert([row('j2')], WINDOW);
  await Promise.all([j1, j2]);
  await settle();
  assert.deepEqual(table.shapes.at(-1), ['j1', 'j2']);
  // a caller that does not gather ends the wait at once, and takes the waiting ones along
  clock += 10;
  const waiting = commits.upsert([row('w')], WINDOW);
  await settle();
  assert.equal(table.writes.length, 2, 'w waits');
  const urgent = commits.upsert([row('u')]);
  assert.deepEqual(table.shapes.at(-1), ['w', 'u'], 'started at once, with the waiting write');
  await Promise.all([waiting, urgent]);
  await settle();
  // long after: no wait again
  clock += WINDOW;
  void commits.upsert([row('later')], WINDOW);
  assert.deepEqual(table.shapes.at(-1), ['later']);
});
