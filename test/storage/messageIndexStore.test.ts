// The message index adapter against Azurite, behind the storage meter: a message's rows in one
// transaction, newest first across hours, the filters answered by the service, a page that walks
// empty hours within its budget, and the bound that matters: a page of 50 out of 10,000 messages
// reads about 50 index rows and the 50 listed messages' partitions, not the 10,000.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { loadConfig, type RelayConfig } from '../../src/config';
import { newMessageId } from '../../src/core/ids';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { createStorageClients, ensureStorageResources } from '../../src/storage/clients';
import { DeliveryStore } from '../../src/storage/deliveryStore';
import { indexEntities, MAX_HOURS_PER_PAGE, MessageIndexStore } from '../../src/storage/messageIndexStore';
import { listMessages } from '../../src/relay/listMessages';
import type { RelayDeps } from '../../src/relay/deps';
import type { DeliveryRow } from '../../src/relay/ports';
import { startStorageMeter, type StorageMeter } from '../../bench/storageMeter';
import { TEST_SETTINGS } from '../support/fakes';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 300_000 };

let azurite: RunningAzurite;
let meter: StorageMeter;
let config: RelayConfig;
let index: MessageIndexStore;
let deliveries: DeliveryStore;
let indexTable: TableClient;
/** each test its own stretch of time, so that they share one table without seeing each other */
let era = Date.UTC(2026, 0, 1);

before(async () => {
  azurite = await startAzurite({ inMemory: true });
  meter = await startStorageMeter(azurite);
  config = loadConfig({ ...TEST_SETTINGS, AzureWebJobsStorage: meter.connectionString });
  const clients = createStorageClients(config);
  await ensureStorageResources(clients);
  indexTable = clients.messageIndex;
  index = new MessageIndexStore(clients.messageIndex);
  deliveries = new DeliveryStore(clients.deliveries);
});

after(async () => {
  await meter?.stop();
  await azurite?.stop();
});

function freshEra(): number {
  era += 30 * 86_400_000;
  return era;
}

function message(at: Date, recipients: string[], changes: Partial<DeliveryRow> = {}): DeliveryRow[] {
  const id = newMessageId(at);
  return recipients.map((r) => queuedRow(id, at, { recipientKey: r, address: r, ...changes }));
}

function tableReads(): { requests: number; entities: number; writes: number } {
  const table = meter.snapshot().filter((o) => o.service === 'table');
  const queries = table.filter((o) => o.operation === 'QueryEntities');
  return {
    requests: queries.reduce((n, o) => n + o.requests, 0),
    entities: queries.reduce((n, o) => n + o.entities, 0),
    writes: table.filter((o) => o.operation !== 'QueryEntities').reduce((n, o) => n + o.requests, 0),
  };
}

test('a message of three recipients is one transaction; pages read newest first across hours; filters; remove', FILE_TIMEOUT, async () => {
  const t0 = freshEra();
  const at = (minutes: number) => new Date(t0 + minutes * 60_000);
  const older = message(at(10), ['a@example.net']);
  const multi = message(at(70), ['a@example.net', 'b@example.net', 'c@example.net'], { tags: { campaign: 'winter' } });
  const newer = message(at(130), ['b@example.net'], { from: 'Other@Example.com' });
  meter.reset();
  await index.add(multi);
  assert.deepEqual(
    meter.snapshot().map((o) => [o.operation, o.requests, o.batchedOperations]),
    [['EntityGroupTransaction', 1, 3]],
  );
  await index.add(older);
  await index.add(newer);
  const range = { since: at(0), until: at(200), tags: {}, limit: 10 };
  const ids = async (q: Partial<typeof range> & Record<string, unknown>) => (await index.page({ ...range, ...q })).items.map((m) => m.messageId);
  const [o, m, n] = [older[0].messageId, multi[0].messageId, newer[0].messageId];
  assert.deepEqual(await ids({}), [n, m, o], 'newest first, across three hour partitions');
  const page = await index.page({ ...range });
  assert.deepEqual(page.items[1], {
    messageId: m,
    acceptedAt: at(70),
    from: 'app@example.com',
    subject: 'hi',
    tags: { campaign: 'winter' },
    recipientCount: 3,
  });
  assert.equal(page.next, undefined);
  assert.deepEqual(await ids({ recipient: 'b@example.net' }), [n, m]);
  assert.deepEqual(await ids({ from: 'other@example.com' }), [n]);
  assert.deepEqual(await ids({ tags: { campaign: 'winter' } }), [m]);
  assert.deepEqual(await ids({ since: at(70), until: at(130) }), [m], 'since inclusive, until exclusive');
  const first = await index.page({ ...range, limit: 1 });
  assert.deepEqual(
    first.items.map((x) => x.messageId),
    [n],
  );
  assert.deepEqual(await ids({ limit: 5, after: first.next }), [m, o]);
  await index.remove(multi);
  assert.deepEqual(await ids({}), [n, o]);
});

test('empty hours cost one query each, at most the budget per page; the page then says where to go on', FILE_TIMEOUT, async () => {
  const t0 = freshEra();
  const [row] = message(new Date(t0), ['a@example.net']);
  await index.add([row]);
  const range = { since: new Date(t0 - 3_600_000), until: new Date(t0 + 80 * 3_600_000), tags: {}, limit: 10 };
  meter.reset();
  const first = await index.page(range);
  assert.deepEqual(first.items, []);
  assert.ok(first.next, 'the budget ran out first');
  assert.equal(tableReads().requests, MAX_HOURS_PER_PAGE);
  const second = await index.page({ ...range, after: first.next });
  assert.deepEqual(
    second.items.map((m) => m.messageId),
    [row.messageId],
  );
  assert.equal(second.next, undefined);
});

test('a page of 50 out of 10,000 messages reads about 50 index rows and 50 partitions, not the 10,000', FILE_TIMEOUT, async () => {
  const t0 = freshEra();
  const rows: DeliveryRow[] = [];
  // 10,000 messages over the 10 hours before t0, a second apart within each hour
  for (let i = 0; i < 10_000; i++) rows.push(...message(new Date(t0 - (i % 10) * 3_600_000 - Math.floor(i / 10) * 1000 - 1000), ['a@example.net']));
  const byPartition = new Map<string, TransactionAction[]>();
  for (const entity of indexEntities(rows)) byPartition.set(entity.partitionKey, [...(byPartition.get(entity.partitionKey) ?? []), ['upsert', entity]]);
  for (const actions of byPartition.values()) for (let i = 0; i < actions.length; i += 100) await indexTable.submitTransaction(actions.slice(i, i + 100));
  const newest = [...rows].sort((a, b) => b.queuedAt.getTime() - a.queuedAt.getTime()).slice(0, 60);
  for (const row of newest) await deliveries.insertMessage([row]);

  const range = { since: new Date(t0 - 11 * 3_600_000), until: new Date(t0), tags: {}, limit: 50 };
  meter.reset();
  const page = await index.page(range);
  assert.equal(page.items.length, 50);
  assert.deepEqual(
    page.items.map((m) => m.messageId),
    newest.slice(0, 50).map((r) => r.messageId),
  );
  const reads = tableReads();
  assert.ok(reads.requests <= 2, `index queries: ${reads.requests}`);
  assert.ok(reads.entities <= 51, `index rows read: ${reads.entities}`);

  const deps = { config, messageIndex: index, deliveries, now: () => new Date(t0) } as unknown as RelayDeps;
  meter.reset();
  const listed = await listMessages(deps, [
    ['since', range.since.toISOString()],
    ['until', range.until.toISOString()],
  ]);
  assert.equal(listed.items.length, 50);
  assert.notEqual(listed.continuationToken, null);
  const all = tableReads();
  assert.ok(all.requests <= 52, `queries: ${all.requests} (one index query, one per listed message)`);
  assert.ok(all.entities <= 110, `entities read: ${all.entities}`);
  assert.equal(all.writes, 0, 'a list writes nothing');
  console.log(`a page of 50 out of 10,000: ${all.requests} table queries, ${all.entities} entities read`);
});
