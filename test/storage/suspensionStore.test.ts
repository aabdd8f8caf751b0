// The suspensions table adapter against Azurite: put and lift (created, replaced, lifted once), the
// list read fresh, activeFor from the per-instance cache (no storage call per send; another
// instance's suspension seen once the cache interval passes; the writer's own at once; the old
// answer kept while storage does not answer), expiry, and countMatch shared by two instances.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TableClient } from '@azure/data-tables';
import { loadConfig } from '../../src/config';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import type { Suspension } from '../../src/relay/ports';
import { createStorageClients, ensureStorageResources } from '../../src/storage/clients';
import { SUSPENSION_CACHE_MS, SuspensionStore } from '../../src/storage/suspensionStore';
import { FakeClock, FakeLog, TEST_SETTINGS } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let azurite: RunningAzurite;
let table: TableClient;
let n = 0;

before(async () => {
  azurite = await startAzurite({ inMemory: true });
  const clients = createStorageClients(loadConfig({ ...TEST_SETTINGS, AzureWebJobsStorage: azurite.connectionString }));
  await ensureStorageResources(clients);
  table = clients.suspensions;
});

after(async () => {
  await azurite?.stop();
});

/** Each test its own names, so the tests share one table without seeing each other's rows. */
const fresh = (what: string) => `${what}-${++n}`;

/** The table client, counting the calls made through it; `failing` makes every call fail. */
function countingTable() {
  const calls: string[] = [];
  let failing = false;
  const proxy = new Proxy(table, {
    get(target, name: string) {
      const member = (target as unknown as Record<string, unknown>)[name];
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => {
        calls.push(name);
        if (failing) throw new Error('ECONNREFUSED (a test)');
        return (member as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { table: proxy, calls, fail: (on: boolean) => (failing = on) };
}

function suspension(name: string, at: Date, seconds: number, changes: Partial<Suspension> = {}): Suspension {
  return { kind: 'destination', name, reason: 'a test', source: 'manual', createdAt: at, until: new Date(at.getTime() + seconds * 1000), ...changes };
}

test('put: created, then replaced; the list reads it back whole; lift: true once, then false', FILE_TIMEOUT, async () => {
  const clock = new FakeClock(new Date());
  const store = new SuspensionStore(table, { now: clock.now });
  const name = fresh('yahoo-jp');
  const first = suspension(name, clock.now(), 3600, { source: 'reaction', rule: 'yahoo-jp-tss04', rateFactor: 0.5, reason: '421 4.7.0 [TSS04] deferred' });
  assert.equal(await store.put(first), 'created');
  const listed = (await store.list(clock.now())).find((s) => s.name === name);
  assert.deepEqual(listed, first);
  const second = suspension(name, clock.now(), 7200);
  assert.equal(await store.put(second), 'replaced');
  assert.deepEqual(
    (await store.list(clock.now())).find((s) => s.name === name),
    second,
    'replaced whole: no rule or rateFactor left over',
  );
  assert.equal(await store.lift('destination', name), true);
  assert.equal(await store.lift('destination', name), false);
  assert.equal(
    (await store.list(clock.now())).find((s) => s.name === name),
    undefined,
  );
});

test('a name with / # ? and non-ASCII characters is kept as written', FILE_TIMEOUT, async () => {
  const clock = new FakeClock(new Date());
  const store = new SuspensionStore(table, { now: clock.now });
  const name = `${fresh('a/b#c?d')}-ドコモ`;
  await store.put(suspension(name, clock.now(), 60, { kind: 'smartHost' }));
  assert.equal((await store.activeFor('smartHost', name, clock.now()))?.name, name);
  assert.equal(await store.activeFor('destination', name, clock.now()), undefined, 'kinds are apart');
  assert.equal(await store.lift('smartHost', name), true);
});

test('expiry: an ended suspension is not active, not listed, not lifted, and a new one over it is "created"', FILE_TIMEOUT, async () => {
  const clock = new FakeClock(new Date());
  const store = new SuspensionStore(table, { now: clock.now });
  const name = fresh('gmail');
  await store.put(suspension(name, clock.now(), 60));
  clock.advance(60_000);
  assert.equal(await store.activeFor('destination', name, clock.now()), undefined);
  assert.equal(
    (await store.list(clock.now())).find((s) => s.name === name),
    undefined,
  );
  assert.equal(await store.put(suspension(name, clock.now(), 60)), 'created');
  clock.advance(61_000);
  assert.equal(await store.lift('destination', name), false, 'none was in force');
});

test('activeFor: from the cache, one query per interval whatever the sends; another instance sees a put within the interval', FILE_TIMEOUT, async () => {
  const clock = new FakeClock(new Date());
  const reader = countingTable();
  const a = new SuspensionStore(reader.table, { now: clock.now });
  const b = new SuspensionStore(table, { now: clock.now });
  const name = fresh('docomo');
  assert.equal(await a.activeFor('destination', name, clock.now()), undefined);
  for (let i = 0; i < 50; i++) await a.activeFor('destination', `${name}-${i % 3}`, clock.now());
  assert.deepEqual(reader.calls, ['listEntities'], 'one query for 51 sends');
  const put = suspension(name, clock.now(), 3600);
  await b.put(put);
  clock.advance(SUSPENSION_CACHE_MS - 1);
  assert.equal(await a.activeFor('destination', name, clock.now()), undefined, 'not yet: the cache is younger than the interval');
  clock.advance(1);
  assert.deepEqual(await a.activeFor('destination', name, clock.now()), put, 'seen once the interval has passed');
  assert.deepEqual(reader.calls, ['listEntities', 'listEntities']);
  // a lift by b is seen by a the same way; b itself knows at once
  assert.equal(await b.lift('destination', name), true);
  assert.equal(await b.activeFor('destination', name, clock.now()), undefined);
  assert.ok(await a.activeFor('destination', name, clock.now()), 'a still has it cached');
  clock.advance(SUSPENSION_CACHE_MS);
  assert.equal(await a.activeFor('destination', name, clock.now()), undefined);
});

test("the writer's own put and lift are seen at once, without a read", FILE_TIMEOUT, async () => {
  const clock = new FakeClock(new Date());
  const counted = countingTable();
  const store = new SuspensionStore(counted.table, { now: clock.now });
  const name = fresh('au');
  await store.activeFor('destination', name, clock.now());
  await store.put(suspension(name, clock.now(), 600));
  counted.calls.length = 0;
  assert.ok(await store.activeFor('destination', name, clock.now()));
  await store.lift('destination', name);
  const afterLift = counted.calls.length;
  assert.equal(await store.activeFor('destination', name, clock.now()), undefined);
  assert.equal(counted.calls.length, afterLift, 'no read after the lift');
  assert.ok(!counted.calls.includes('listEntities'));
});

test('storage down: the suspensions read before still answer (logged), a first read fails', FILE_TIMEOUT, async () => {
  const clock = new FakeClock(new Date());
  const counted = countingTable();
  const log = new FakeLog();
  const store = new SuspensionStore(counted.table, { now: clock.now, log });
  const name = fresh('softbank');
  await new SuspensionStore(table).put(suspension(name, clock.now(), 3600));
  assert.ok(await store.activeFor('destination', name, clock.now()));
  counted.fail(true);
  clock.advance(SUSPENSION_CACHE_MS);
  assert.ok(await store.activeFor('destination', name, clock.now()), 'the old answer');
  assert.match(log.text(), /warn: suspensions could not be read, using those read before/);
  const calls = counted.calls.length;
  assert.ok(await store.activeFor('destination', name, clock.now()));
  assert.equal(counted.calls.length, calls, 'not tried again before another interval');
  const cold = countingTable();
  cold.fail(true);
  await assert.rejects(new SuspensionStore(cold.table, { now: clock.now }).activeFor('destination', name, clock.now()), /ECONNREFUSED/);
  await assert.rejects(store.list(clock.now()), /ECONNREFUSED/, 'the list is read fresh');
});

test('countMatch: two instances count into one window; matches older than it drop out', FILE_TIMEOUT, async () => {
  const at = new Date();
  const a = new SuspensionStore(table);
  const b = new SuspensionStore(table);
  const name = fresh('gmail');
  const t = (minutes: number) => new Date(at.getTime() + minutes * 60_000);
  assert.equal(await a.countMatch('gmail-rate', 'destination', name, 3600, t(0)), 1);
  assert.equal(await b.countMatch('gmail-rate', 'destination', name, 3600, t(10)), 2);
  assert.equal(await a.countMatch('gmail-rate', 'destination', name, 3600, t(20)), 3);
  assert.equal(await b.countMatch('gmail-rate', 'destination', name, 3600, t(65)), 3, 'the match at 0 has left the hour');
  assert.equal(await b.countMatch('gmail-rate', 'destination', name, 3600, t(200)), 1);
  assert.equal(await a.countMatch('other-rule', 'destination', name, 3600, t(200)), 1, 'rules count apart');
  assert.equal(await a.countMatch('gmail-rate', 'smartHost', name, 3600, t(200)), 1, 'targets count apart');
});

test('countMatch: matches racing from two instances are all counted (conditional writes)', FILE_TIMEOUT, async () => {
  const at = new Date();
  const stores = [new SuspensionStore(table), new SuspensionStore(table)];
  const name = fresh('yahoo');
  const counts = await Promise.all(Array.from({ length: 4 }, (_, i) => stores[i % 2].countMatch('r', 'destination', name, 3600, new Date(at.getTime() + i))));
  assert.deepEqual([...counts].sort(), [1, 2, 3, 4], 'each match saw the ones before it');
});
