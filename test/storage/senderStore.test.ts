// The senders table adapter against Azurite: several instances count into their own rows and read
// one sum, a pause is written once and seen by every instance within the refresh, a resume starts
// counting anew, conditional writes keep a resume that races a pause, and the send's path (record,
// pauseOf) costs no storage call in steady state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TableClient } from '@azure/data-tables';
import { loadConfig, type RelayConfig } from '../../src/config';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { createStorageClients, ensureStorageResources } from '../../src/storage/clients';
import { SenderStore } from '../../src/storage/senderStore';
import { FakeClock, FakeLog, TEST_SETTINGS } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let azurite: RunningAzurite;
let config: RelayConfig;
let table: TableClient;
let domainNumber = 0;

before(async () => {
  azurite = await startAzurite({ inMemory: true });
  config = loadConfig({ ...TEST_SETTINGS, AzureWebJobsStorage: azurite.connectionString, RELAY_BREAKER_MIN_VOLUME: '4', RELAY_HOLD_RECHECK_SECONDS: '60' });
  const clients = createStorageClients(config);
  await ensureStorageResources(clients);
  table = clients.senders;
});

after(async () => {
  await azurite?.stop();
});

/** Each test its own domain, so the tests share one Azurite without seeing each other's rows. */
function freshDomain(): string {
  return `sender${++domainNumber}.example`;
}

/** The table client, counting the calls an instance makes and optionally running `beforeStateWrite` first. */
function countingTable(hooks: { beforeStateWrite?: () => Promise<void>; failReads?: boolean } = {}) {
  const calls: string[] = [];
  const proxy = new Proxy(table, {
    get(target, name: string) {
      const member = (target as unknown as Record<string, unknown>)[name];
      if (typeof member !== 'function') return member;
      return (...args: unknown[]) => {
        calls.push(name);
        const call = () => (member as (...a: unknown[]) => unknown).apply(target, args);
        if (name === 'getEntity' && hooks.failReads) return Promise.reject(new Error('ECONNREFUSED (a test)'));
        const hook = hooks.beforeStateWrite;
        if ((name === 'createEntity' || name === 'updateEntity') && hook) {
          hooks.beforeStateWrite = undefined;
          return hook().then(call);
        }
        return call();
      };
    },
  });
  return { table: proxy, calls };
}

function instance(clock: FakeClock, t: TableClient = table) {
  const log = new FakeLog();
  return { store: new SenderStore(t, config, log, clock.now), log };
}

test('two instances count into rows of their own, and a view sums every instance', FILE_TIMEOUT, async () => {
  const domain = freshDomain();
  const clock = new FakeClock(new Date());
  const a = instance(clock);
  const b = instance(clock);
  for (let i = 0; i < 3; i++) a.store.record(domain, { attempts: 1 }, clock.now());
  b.store.record(domain, { attempts: 2, hardBounces: 0, complaints: 1 }, clock.now());
  await Promise.all([a.store.flush(), b.store.flush()]);
  a.store.record(domain, { attempts: 1 }, clock.now());
  await a.store.close();
  await b.store.close();
  const view = await b.store.view(domain);
  assert.equal(view.attempts, 6);
  assert.equal(view.complaints, 1);
  assert.equal(view.complaintRate, 16.67);
  assert.equal(view.state, 'paused');
  assert.match(view.pausedReason ?? '', /^complaint rate 20 % of 5 attempts is above RELAY_COMPLAINT_PAUSE_PERCENT \(0\.5 %\)$/);
  const rows: string[] = [];
  for await (const e of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${domain}'` } })) rows.push(e.rowKey!);
  const countRows = rows.filter((r) => r.startsWith('c|'));
  assert.equal(countRows.length, 2, `one row per instance and hour: ${rows.join(', ')}`);
  assert.deepEqual(countRows.map((r) => r.split('|')[3]).sort(), [a.store.instanceId, b.store.instanceId].sort());
  assert.deepEqual(view.thresholds, config.breaker);
});

test('over the pause rate and the minimum volume the domain is paused once, and every instance sees it within the refresh', FILE_TIMEOUT, async () => {
  const domain = freshDomain();
  const clock = new FakeClock(new Date());
  const a = instance(clock);
  const b = instance(clock);
  assert.equal(await b.store.pauseOf(domain), undefined);
  for (let i = 0; i < 3; i++) a.store.record(domain, { attempts: 1, hardBounces: 1 }, clock.now());
  await a.store.flush();
  assert.equal((await a.store.view(domain)).state, 'warning', 'three attempts are under RELAY_BREAKER_MIN_VOLUME=4');
  a.store.record(domain, { attempts: 1, hardBounces: 1 }, clock.now());
  await a.store.flush();
  await a.store.flush();
  const pause = await a.store.pauseOf(domain);
  assert.equal(pause?.domain, domain);
  assert.match(pause?.reason ?? '', /^hard-bounce rate 100 % of 4 attempts is above RELAY_BOUNCE_PAUSE_PERCENT \(10 %\)$/);
  assert.equal(a.log.lines.filter((l) => / paused: /.test(l.message)).length, 1);
  assert.equal(a.log.lines.filter((l) => / warning: /.test(l.message)).length, 1, 'the warning is logged once, not per flush');
  assert.equal(await b.store.pauseOf(domain), undefined, 'b still trusts what it read a moment ago');
  clock.advance(b.store.refreshMs);
  assert.equal((await b.store.pauseOf(domain))?.reason, pause?.reason);
  const view = await b.store.view(domain);
  assert.equal(view.state, 'paused');
  assert.equal(view.pausedAt, pause?.since.toISOString());
  await Promise.all([a.store.close(), b.store.close()]);
});

test('a resume lifts the pause and starts counting anew; resuming again changes nothing', FILE_TIMEOUT, async () => {
  const domain = freshDomain();
  const clock = new FakeClock(new Date());
  const a = instance(clock);
  for (let i = 0; i < 5; i++) a.store.record(domain, { attempts: 1, hardBounces: 1 }, clock.now());
  await a.store.flush();
  assert.equal((await a.store.view(domain)).state, 'paused');
  clock.advance(1000);
  const resumed = await a.store.resume(domain, clock.now());
  assert.equal(resumed.state, 'active');
  assert.equal(resumed.attempts, 0);
  assert.equal(resumed.resumedAt, clock.now().toISOString());
  assert.equal(resumed.windowStart, clock.now().toISOString());
  assert.equal(resumed.pausedAt, null);
  assert.equal(await a.store.pauseOf(domain), undefined);
  a.store.record(domain, { attempts: 1 }, clock.now());
  await a.store.flush();
  assert.equal((await a.store.view(domain)).attempts, 1, 'only what came after the resume');
  const again = await a.store.resume(domain, new Date(clock.now().getTime() + 5000));
  assert.equal(again.resumedAt, resumed.resumedAt, 'resuming an active domain is answered, not written');
  assert.equal(a.log.lines.filter((l) => /resumed by an operator/.test(l.message)).length, 1);
  await a.store.close();
});

test('two resumes at once: both answered, one written', FILE_TIMEOUT, async () => {
  const domain = freshDomain();
  const clock = new FakeClock(new Date());
  const a = instance(clock);
  const b = instance(clock);
  await a.store.pause(domain, 'test run', clock.now());
  const [va, vb] = await Promise.all([a.store.resume(domain, clock.now()), b.store.resume(domain, clock.now())]);
  assert.equal(va.state, 'active');
  assert.equal(vb.state, 'active');
  const lines = [...a.log.lines, ...b.log.lines].filter((l) => /resumed by an operator/.test(l.message));
  assert.equal(lines.length, 1);
});

test('a resume that lands between an evaluation and its pause write is kept: the stale pause loses', FILE_TIMEOUT, async () => {
  const domain = freshDomain();
  const clock = new FakeClock(new Date());
  const operator = instance(clock);
  // a state row to begin with, so the pause write is an If-Match replace (412 when it loses)
  await operator.store.pause(domain, 'earlier', clock.now());
  await operator.store.resume(domain, clock.now());
  clock.advance(1);
  const counting = countingTable({
    beforeStateWrite: async () => {
      await operator.store.pause(domain, 'operator', clock.now());
      clock.advance(1);
      await operator.store.resume(domain, clock.now());
    },
  });
  const a = instance(clock, counting.table);
  for (let i = 0; i < 4; i++) a.store.record(domain, { attempts: 1, hardBounces: 1 }, clock.now());
  await a.store.flush();
  const view = await operator.store.view(domain);
  assert.equal(view.state, 'active');
  assert.equal(view.resumedAt, clock.now().toISOString(), 'the resume written during the evaluation');
  assert.ok(counting.calls.includes('updateEntity'));
  assert.equal(view.attempts, 0);
  assert.equal(a.log.lines.filter((l) => / paused: /.test(l.message)).length, 0);
  await a.store.close();
});

test('the send path costs nothing: record() writes nothing, pauseOf() reads once per refresh', FILE_TIMEOUT, async () => {
  const domain = freshDomain();
  const clock = new FakeClock(new Date());
  const counting = countingTable();
  const a = instance(clock, counting.table);
  for (let i = 0; i < 1000; i++) {
    await a.store.pauseOf(domain);
    a.store.record(domain, { attempts: 1 }, clock.now());
  }
  assert.deepEqual(counting.calls, ['getEntity']);
  await a.store.flush();
  assert.deepEqual(counting.calls, ['getEntity', 'upsertEntity', 'listEntities'], 'a flush: one write per instance, domain and hour, one query');
  await a.store.flush();
  assert.equal(counting.calls.length, 3, 'nothing new, nothing written');
  clock.advance(a.store.refreshMs);
  await a.store.pauseOf(domain);
  assert.equal(counting.calls.length, 4);
  await a.store.close();
});

test('storage not answering: the pause read before still holds, and the read is tried once per interval, not per send', FILE_TIMEOUT, async () => {
  const domain = freshDomain();
  const clock = new FakeClock(new Date());
  const hooks: { failReads?: boolean } = {};
  const counting = countingTable(hooks);
  const a = instance(clock, counting.table);
  await a.store.pause(domain, 'by a test', clock.now());
  clock.advance(a.store.refreshMs);
  hooks.failReads = true;
  counting.calls.length = 0;
  for (let i = 0; i < 10; i++) assert.equal((await a.store.pauseOf(domain))?.reason, 'paused by an operator: by a test');
  assert.deepEqual(counting.calls, ['getEntity']);
  assert.equal(a.log.lines.filter((l) => /could not be read, using the one read before/.test(l.message)).length, 1);
  clock.advance(a.store.refreshMs);
  await a.store.pauseOf(domain);
  assert.deepEqual(counting.calls, ['getEntity', 'getEntity']);
  const b = instance(clock, counting.table);
  await assert.rejects(b.store.pauseOf(domain), /ECONNREFUSED/, 'nothing read before: the send waits for storage');
});
