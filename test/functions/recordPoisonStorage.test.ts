// The poison queue has no poison queue of its own: a recording that fails there is not retried by the
// queue for minutes and, after maxDequeueCount, never again. So the recorder retries storage inside
// the invocation and, when storage stays down, puts the task back on the poison queue. Here the table
// endpoint fails behind a proxy while queues and blobs keep working.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { FaultyProxy } from '../support/faultyProxy';
import { DeliveryQueue } from '../../src/storage/deliveryQueue';
import { RestError } from '@azure/data-tables';
import { isTransientStorageError, POISON_RECORDING } from '../../src/relay/recordPoison';
import { RowChangedError } from '../../src/relay/ports';
import { FUNCTION_TIMEOUT_MS } from '../../src/config';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 300_000 };

let relay: RelayHarness;
let tables: FaultyProxy;

before(async () => {
  // Deferrals wait 10 minutes: no retry task of the relay's own comes due while the tables fail.
  relay = await startRelayHarness({ env: { RELAY_RETRY_FIRST_DELAY_SECONDS: '600', RELAY_RETRY_MAX_DELAY_SECONDS: '600' } });
  tables = await FaultyProxy.start(relay.azurite.ports.tablePort);
  const proxied = relay.azurite.connectionString.replace(`:${relay.azurite.ports.tablePort}/`, `:${tables.port}/`);
  assert.notEqual(proxied, relay.azurite.connectionString);
  await relay.restartHostWith({ AzureWebJobsStorage: proxied });
});
after(async () => {
  await relay?.stop();
  await tables?.stop();
});

/** A recipient left deferred (the smart host refuses connections), then its task on the poison queue while the tables fail. */
async function poisonWhileTablesFail(recipient: string): Promise<string> {
  await relay.smartHost.pause();
  try {
    const answer = await relay.send(message({ to: recipient }));
    await relay.waitForStatus(answer.body.id, (v) => v.recipients[0].status === 'deferred');
    tables.fail();
    await new DeliveryQueue(relay.clients.poisonQueue).enqueue({ v: 1, messageId: answer.body.id, recipient });
    return answer.body.id;
  } finally {
    await relay.smartHost.resume();
  }
}

const logged = (recipient: string, text: string) => relay.hostOutput.filter((l) => l.includes(`to ${recipient}:`) && l.includes(text)).length;

test('tried again: no answer, or 408, 429 and 5xx; not other refusals, lost races or bugs', FILE_TIMEOUT, () => {
  assert.equal(isTransientStorageError(new RestError('connect ECONNREFUSED', { code: 'ECONNREFUSED' })), true);
  assert.equal(isTransientStorageError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), true);
  for (const status of [408, 429, 500, 503]) assert.equal(isTransientStorageError(new RestError('later', { statusCode: status })), true, String(status));
  for (const status of [400, 403, 404, 409]) assert.equal(isTransientStorageError(new RestError('no', { statusCode: status })), false, String(status));
  assert.equal(isTransientStorageError(new RowChangedError('changed')), false);
  assert.equal(isTransientStorageError(new TypeError('a bug')), false);
});

test('the in-invocation retries stay far below functionTimeout', FILE_TIMEOUT, () => {
  const waits = POISON_RECORDING.retryDelaysMs.reduce((a, b) => a + b, 0);
  assert.ok(waits * 4 < FUNCTION_TIMEOUT_MS, `${waits} ms of waiting`);
});

test('storage failing for a moment: the same invocation records the recipient once it is back', FILE_TIMEOUT, async () => {
  const recipient = 'poison-blip@example.net';
  const id = await poisonWhileTablesFail(recipient);
  try {
    await eventually('a retry inside the invocation', () => (logged(recipient, 'recording the poison task failed') > 0 ? true : undefined));
  } finally {
    tables.heal();
  }
  const view = await relay.waitForStatus(id, (v) => v.status === 'completed');
  assert.equal(view.recipients[0].status, 'failed');
  assert.match(view.recipients[0].response!, /moved to deliveries-poison after repeated failures/);
  assert.equal(logged(recipient, 'put it back on the poison queue'), 0, 'recorded by the first invocation');
  assert.equal(relay.hostOutput.filter((l) => l.includes('[recordPoisonDelivery]') && l.includes('Executed (Failed')).length, 0);
});

test('storage failing past the retries: the task goes back on the poison queue and is recorded when storage returns', FILE_TIMEOUT, async () => {
  const recipient = 'poison-outage@example.net';
  const id = await poisonWhileTablesFail(recipient);
  try {
    await eventually(
      'the task to be put back on the poison queue',
      () => (logged(recipient, 'put it back on the poison queue') > 0 ? true : undefined),
      60_000,
    );
  } finally {
    tables.heal();
  }
  assert.equal(logged(recipient, 'trying again in'), POISON_RECORDING.retryDelaysMs.length);
  const view = await relay.waitForStatus(id, (v) => v.status === 'completed', 60_000);
  assert.equal(view.recipients[0].status, 'failed');
  await eventually('the poison queue to be empty', async () =>
    (await relay.clients.poisonQueue.getProperties()).approximateMessagesCount === 0 ? true : undefined,
  );
  assert.equal(
    relay.hostOutput.filter((l) => l.includes('[recordPoisonDelivery]') && l.includes('Executed (Failed')).length,
    0,
    'no invocation was left to the queue',
  );
});
