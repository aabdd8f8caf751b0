// Fault: storage crashes. Azurite (data on disk) is killed with SIGKILL while recipients are waiting
// for their retries, and started again on the same ports. While it is down a send answers 503 and
// writes nothing; once it is back the same host process, never restarted, relays the waiting
// messages and new ones, each exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { waitUntilAzuriteSaved } from '../support/azuriteSaved';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 300_000 };

const WAITING = 10;
const REFUSED = 5;
const AFTER = 10;

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({
    azuriteOnDisk: true,
    env: {
      // A delivery cut off by the crash is retried within seconds rather than after the 10-minute lease.
      RELAY_LOCAL_QUEUE_LEASE_SECONDS: '5',
      // Keeps the relay's own claim on a recipient short, should Azurite come back with one it saved.
      SMARTHOST_CONNECT_TIMEOUT_SECONDS: '2',
      SMARTHOST_SOCKET_TIMEOUT_SECONDS: '5',
    },
  });
});
after(async () => {
  await relay?.stop();
});

async function sendAll(label: string, count: number, headers: (i: number) => Record<string, string> = () => ({})) {
  return Promise.all(
    Array.from({ length: count }, (_, i) => relay.send(message({ to: `${label}-${i}@example.net`, subject: `storage crash ${label} ${i}` }), headers(i))),
  );
}

async function allEntities(table: 'deliveries' | 'events' | 'idempotency'): Promise<Record<string, unknown>[]> {
  const entities: Record<string, unknown>[] = [];
  for await (const entity of relay.clients[table].listEntities<Record<string, unknown>>()) entities.push(entity);
  return entities;
}

test('Azurite killed and restarted: 503 and nothing written while down, then every message sent once', FILE_TIMEOUT, async () => {
  const host = relay.host.child;

  // Recipients waiting for a retry when storage dies: the smart host is down too.
  await relay.smartHost.pause();
  const waiting = await sendAll('waiting', WAITING);
  for (const answer of waiting) assert.equal(answer.status, 202, answer.text);
  for (const answer of waiting) await relay.waitForStatus(answer.body.id, (v) => v.recipients[0].status === 'deferred');
  // What Azure Storage acknowledged it keeps; Azurite keeps only what it has saved (see azuriteSaved.ts).
  await waitUntilAzuriteSaved(relay.azurite.connectionString, relay.azuriteLocation!);

  await relay.killAzurite();
  const refusedKeys = (i: number) => ({ 'Idempotency-Key': `storage-crash-refused-${i}` });
  const refused = [...(await sendAll('refused', REFUSED, refusedKeys)), ...(await sendAll('refused-nokey', REFUSED))];
  for (const answer of refused) {
    assert.equal(answer.status, 503, answer.text);
    assert.equal(answer.headers.get('content-type'), 'application/problem+json');
    assert.equal(answer.headers.get('retry-after'), '30');
    assert.equal(answer.body.type, 'urn:azure-smtp-relay:problem:storage-unavailable');
    assert.equal(answer.body.status, 503);
    assert.match(answer.body.detail, /nothing was queued/);
  }

  await relay.restartAzurite();
  await relay.smartHost.resume();
  const later = await sendAll('after', AFTER);
  for (const answer of later) assert.equal(answer.status, 202, answer.text);

  const accepted = [...waiting, ...later];
  for (const answer of accepted) {
    const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed', 90_000);
    assert.equal(view.recipients[0].status, 'sent', JSON.stringify(view.recipients[0]));
  }
  assert.equal(relay.host.child, host, 'the host was never restarted');
  assert.equal(host.exitCode, null);

  const ids = accepted.map((a) => a.body.id).sort();
  const addresses = accepted.map((a) => a.body.recipients[0].address);
  assert.deepEqual(
    addresses.map((a) => relay.smartHost.countFor(a)),
    addresses.map(() => 1),
    'each accepted recipient exactly once at the sink',
  );
  assert.equal(relay.smartHost.messages.length, WAITING + AFTER, 'nothing else reached the sink');

  // Nothing of the refused sends anywhere: exactly the accepted messages' rows, events, bodies, tasks.
  const rows = await allEntities('deliveries');
  assert.deepEqual(rows.map((r) => r.partitionKey).sort(), ids);
  // Event rows land after the row that makes a status final: wait for one per accepted message.
  const events = await eventually('an event for every accepted message', async () => {
    const all = await allEntities('events');
    return ids.every((id) => all.some((e) => e.messageId === id)) ? all : undefined;
  });
  assert.deepEqual([...new Set(events.map((e) => e.messageId))].sort(), ids);
  assert.deepEqual(
    events.filter((e) => String(e.recipient).startsWith('refused')),
    [],
  );
  assert.deepEqual(await allEntities('idempotency'), [], 'only the refused sends had Idempotency-Keys');
  // Bodies may travel in the queue message instead of a blob; any blob must be an accepted message's.
  const strayBlobs: string[] = [];
  for await (const blob of relay.clients.bodies.listBlobsFlat()) if (!ids.includes(blob.name.replace(/\.eml$/, ''))) strayBlobs.push(blob.name);
  assert.deepEqual(strayBlobs, []);
  // Tasks left over from before the crash are skipped (their recipients are sent); then both queues are empty.
  await eventually(
    'the delivery queue to drain',
    async () => ((await relay.clients.queue.getProperties()).approximateMessagesCount === 0 ? true : undefined),
    90_000,
  );
  assert.equal((await relay.clients.poisonQueue.getProperties()).approximateMessagesCount, 0);

  // The refused requests can simply be sent again: their Idempotency-Keys were never taken.
  const retried = await sendAll('refused', REFUSED, refusedKeys);
  for (const answer of retried) {
    assert.equal(answer.status, 202, answer.text);
    assert.equal(answer.headers.get('idempotent-replayed'), null);
    await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  }
  assert.equal(retried.filter((a) => relay.smartHost.countFor(a.body.recipients[0].address) === 1).length, REFUSED);
});
