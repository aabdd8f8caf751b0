// The smart hosts' shared health (cool-offs) against Azurite, through the storage meter: what a send
// costs on a healthy host (nothing but one query per cache interval), failures counted by
// conditional writes, a cool-off started on one instance seen by another, probation after it,
// failures from racing instances counted exactly, and storage failures that never fail a delivery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { RestError, type TableClient } from '@azure/data-tables';
import type { CoolOffRule } from '../../src/core/coolOff';
import type { RelayLog } from '../../src/relay/deps';
import { createStorageClients } from '../../src/storage/clients';
import { HEALTH_CACHE_MS, SmartHostHealthStore } from '../../src/storage/smartHostHealthStore';
import { loadConfig } from '../../src/config';
import { TEST_SETTINGS } from '../support/fakes';
import { useMeteredAzurite } from '../support/meteredAzurite';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const RULE: CoolOffRule = { failures: 3, seconds: 300 };
const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const REFUSED = 'connect ECONNREFUSED 127.0.0.1:587';

const storage = useMeteredAzurite();
let hostNumber = 0;

/** A clock a test moves by hand: the cache's age goes by it. */
class Clock {
  constructor(public time = T0.getTime()) {}
  readonly now = () => new Date(this.time);
  pass(seconds: number): Date {
    this.time += seconds * 1000;
    return this.now();
  }
}

interface Instance {
  store: SmartHostHealthStore;
  clock: Clock;
  warnings: string[];
}

/** One app instance: a client of its own, its own clock and log. */
function instance(rule: CoolOffRule = RULE, table: TableClient = storage.shapingTable()): Instance {
  const clock = new Clock();
  const warnings: string[] = [];
  const log: RelayLog = { log: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  return { store: new SmartHostHealthStore(table, rule, { now: clock.now, log }), clock, warnings };
}

function freshHost(): string {
  return `domestic-${++hostNumber}`;
}

/** The cool-offs `of` lists for this test's host (the table is shared by the file's tests). */
async function listed(of: Instance, name: string, now: Date) {
  return (await of.store.list(now)).filter((c) => c.name === name);
}

async function rowOf(name: string): Promise<Record<string, unknown> | undefined> {
  try {
    return await storage.shapingTable().getEntity<Record<string, unknown>>('health', `cooloff|${name}`);
  } catch (err) {
    if (err instanceof RestError && err.statusCode === 404) return undefined;
    throw err;
  }
}

test('a healthy host costs one query per cache interval and nothing per send', FILE_TIMEOUT, async () => {
  const { store, clock } = instance();
  const name = freshHost();
  storage.reset();
  for (let send = 0; send < 50; send++) {
    assert.equal(await store.coolingUntil(name, clock.now()), undefined);
    await store.recordSuccess(name, clock.now());
    clock.pass(0.05);
  }
  assert.deepEqual(storage.tableCalls(), { QueryEntities: 1 }, '50 sends in 2.5 s');
  clock.pass(HEALTH_CACHE_MS / 1000);
  await store.coolingUntil(name, clock.now());
  assert.deepEqual(storage.tableCalls(), { QueryEntities: 2 }, 'read again once the interval has passed');
});

test('the threshold-th failure in a row starts a cool-off; each failure is one write, none read first', FILE_TIMEOUT, async () => {
  const { store, clock } = instance();
  const name = freshHost();
  await store.coolingUntil(name, clock.now());
  storage.reset();
  assert.equal(await store.recordFailure(name, REFUSED, at(1)), undefined);
  assert.equal(await store.recordFailure(name, REFUSED, at(2)), undefined);
  assert.deepEqual(await store.recordFailure(name, '421 4.3.2 too busy', at(3)), at(303));
  assert.deepEqual(storage.tableCalls(), { InsertEntity: 1, UpdateEntity: 2 });
  assert.deepEqual(await store.coolingUntil(name, at(4)), at(303));
  storage.reset();
  assert.equal(await store.recordFailure(name, REFUSED, at(10)), undefined, 'a failure during the cool-off starts nothing');
  await store.recordSuccess(name, at(11));
  assert.deepEqual(storage.tableCalls(), {}, 'and neither it nor a success during the cool-off costs a call');
  const row = await rowOf(name);
  assert.equal(row?.failures, 3);
  assert.equal(row?.coolingUntil, at(303).toISOString());
  assert.equal(row?.firstFailureAt, at(1).toISOString());
  assert.equal(row?.lastReason, '421 4.3.2 too busy');
});

test('a success ends a run of failures: the row is deleted, and the next success costs nothing', FILE_TIMEOUT, async () => {
  const { store, clock } = instance();
  const name = freshHost();
  await store.coolingUntil(name, clock.now());
  await store.recordFailure(name, REFUSED, at(1));
  await store.recordFailure(name, REFUSED, at(2));
  storage.reset();
  await store.recordSuccess(name, at(3));
  assert.deepEqual(storage.tableCalls(), { DeleteEntity: 1 });
  assert.equal(await rowOf(name), undefined);
  storage.reset();
  await store.recordSuccess(name, at(4));
  assert.deepEqual(storage.tableCalls(), {});
  assert.equal(await store.recordFailure(name, REFUSED, at(5)), undefined, 'counting starts again from one');
  assert.equal(await store.recordFailure(name, REFUSED, at(6)), undefined);
  assert.deepEqual(await store.recordFailure(name, REFUSED, at(7)), at(307));
});

test('two instances share a cool-off: the other sees it within the cache interval, and both see its end', FILE_TIMEOUT, async () => {
  const a = instance();
  const b = instance();
  const name = freshHost();
  assert.equal(await b.store.coolingUntil(name, b.clock.now()), undefined, 'b has read the rows before the failures');
  for (let i = 1; i <= 3; i++) await a.store.recordFailure(name, REFUSED, at(i));
  assert.equal(await b.store.coolingUntil(name, at(4)), undefined, 'b goes by what it read until its interval has passed');
  b.clock.pass(HEALTH_CACHE_MS / 1000);
  assert.deepEqual(await b.store.coolingUntil(name, at(5)), at(303));
  assert.deepEqual(await listed(b, name, at(5)), [{ name, until: at(303), failures: 3, since: at(1), reason: REFUSED }]);
  // the end: both try the host again, and one failure (on either) cools it off again at once
  assert.equal(await a.store.coolingUntil(name, at(303)), undefined);
  assert.equal(await b.store.coolingUntil(name, at(303)), undefined);
  assert.deepEqual(await b.store.recordFailure(name, REFUSED, at(310)), at(610), 'on probation one failure is enough');
  a.clock.pass(HEALTH_CACHE_MS / 1000);
  assert.deepEqual(await a.store.coolingUntil(name, at(311)), at(610));
  assert.deepEqual(await listed(b, name, at(610)), [], 'a cool-off that has ended is not listed');
});

test('after a cool-off a success clears it on every instance', FILE_TIMEOUT, async () => {
  const a = instance({ failures: 1, seconds: 60 });
  const b = instance({ failures: 1, seconds: 60 });
  const name = freshHost();
  await b.store.coolingUntil(name, b.clock.now());
  assert.deepEqual(await a.store.recordFailure(name, REFUSED, at(0)), at(60));
  b.clock.pass(HEALTH_CACHE_MS / 1000);
  assert.deepEqual(await b.store.coolingUntil(name, at(1)), at(60));
  storage.reset();
  await b.store.recordSuccess(name, at(61));
  assert.deepEqual(storage.tableCalls(), { DeleteEntity: 1 }, 'b knows of the failures it clears');
  assert.equal(await rowOf(name), undefined);
  a.clock.pass(HEALTH_CACHE_MS / 1000);
  assert.equal(await a.store.coolingUntil(name, at(62)), undefined);
  assert.deepEqual(await a.store.recordFailure(name, REFUSED, at(63)), at(123), 'a new run (threshold 1)');
});

test('instances taking turns on a stale view: a lost race is read again, and every failure counts', FILE_TIMEOUT, async () => {
  const a = instance();
  const b = instance();
  const name = freshHost();
  await a.store.recordFailure(name, REFUSED, at(1));
  storage.reset();
  assert.equal(await b.store.recordFailure(name, REFUSED, at(2)), undefined);
  assert.deepEqual(storage.tableCalls(), { InsertEntity: 1, GetEntity: 1, UpdateEntity: 1 }, 'b knew of no row: its create lost, then it read and wrote');
  storage.reset();
  assert.deepEqual(await a.store.recordFailure(name, REFUSED, at(3)), at(303), "a's third counts, on b's second");
  assert.deepEqual(storage.tableCalls(), { UpdateEntity: 2, GetEntity: 1 }, 'a wrote over what it saw, lost, read, wrote');
});

test('concurrent failures from several instances are counted exactly', FILE_TIMEOUT, async () => {
  const instances = [instance({ failures: 1000, seconds: 60 }), instance({ failures: 1000, seconds: 60 }), instance({ failures: 1000, seconds: 60 })];
  const name = freshHost();
  const perInstance = 12;
  storage.reset();
  const started = await Promise.all(
    instances.flatMap(({ store }, i) => Array.from({ length: perInstance }, (_, n) => store.recordFailure(name, `${REFUSED} (${i}.${n})`, at(n)))),
  );
  assert.deepEqual(
    started.filter((s) => s !== undefined),
    [],
  );
  const row = await rowOf(name);
  assert.equal(row?.failures, instances.length * perInstance);
  const calls = storage.tableCalls();
  const writes = (calls.InsertEntity ?? 0) + (calls.UpdateEntity ?? 0);
  console.log(`${instances.length * perInstance} concurrent failures on ${instances.length} instances: ${JSON.stringify(calls)}`);
  assert.ok(writes < instances.length * perInstance, `failures waiting on one instance share its next write (${writes} writes)`);
  for (const { warnings } of instances) assert.deepEqual(warnings, []);
});

test('racing instances past the threshold start one cool-off between them', FILE_TIMEOUT, async () => {
  const instances = [instance(), instance(), instance(), instance()];
  const name = freshHost();
  const started = await Promise.all(instances.flatMap(({ store }) => [store.recordFailure(name, REFUSED, at(1)), store.recordFailure(name, REFUSED, at(2))]));
  const ends = started.filter((s) => s !== undefined);
  assert.equal(ends.length, 1, 'one failure started it (its caller logs it, once); the others came during it');
  assert.equal((await rowOf(name))?.failures, 3, 'failures during the cool-off are not written');
  assert.deepEqual(
    instances.flatMap((i) => i.warnings),
    [],
  );
});

test('storage failures never fail the delivery: counts are logged and dropped, and the host is not cooling', FILE_TIMEOUT, async () => {
  const dead = instance(RULE, await unreachableShapingTable());
  const name = freshHost();
  assert.equal(await dead.store.coolingUntil(name, at(0)), undefined, 'fail open: the send itself will tell');
  assert.match(dead.warnings.join('\n'), /smart host cool-offs could not be read/);
  for (let i = 1; i <= 3; i++) assert.equal(await dead.store.recordFailure(name, REFUSED, at(i)), undefined);
  assert.match(dead.warnings.join('\n'), new RegExp(`smart host ${name}: 1 health event\\(s\\) not recorded`));
  await assert.rejects(dead.store.list(at(4)), 'the operators are told storage failed rather than shown no cool-offs');
});

/** A shaping-table client whose endpoint refuses every connection: a storage outage. */
async function unreachableShapingTable(): Promise<TableClient> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const config = storage.settings();
  assert.equal(config.storage.kind, 'connectionString');
  const connectionString = config.storage.kind === 'connectionString' ? config.storage.connectionString : '';
  const dead = connectionString.replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, `TableEndpoint=http://127.0.0.1:${port}`);
  assert.notEqual(dead, connectionString);
  return createStorageClients(loadConfig({ ...TEST_SETTINGS, AzureWebJobsStorage: dead })).shaping;
}
