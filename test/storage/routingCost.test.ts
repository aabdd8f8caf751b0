// What routes cost in storage transactions, measured with the storage meter in front of Azurite
// through the real adapters and use-cases: a policy without routes, a recipient no route matches, and
// a recipient its route sends through a smart host with no limits all cost what a delivery cost
// before routing (the cool-offs and suspensions are read from caches). The smart host is a stub
// answering 250 (SMTP is not what is measured); the figures are printed for the handoff.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type RelayConfig } from '../../src/config';
import { parseDeliveryTask, type DeliveryTask } from '../../src/core/deliveryTask';
import { EMPTY_POLICY, type DeliveryPolicy } from '../../src/core/policy/types';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { acceptMessage } from '../../src/relay/acceptMessage';
import { deliverTask } from '../../src/relay/deliverTask';
import type { RelayDeps } from '../../src/relay/deps';
import type { SmartHost } from '../../src/relay/ports';
import { buildRelayDeps } from '../../src/runtime';
import { createStorageClients, ensureStorageResources, type StorageClients } from '../../src/storage/clients';
import { startStorageMeter, type StorageMeter } from '../../bench/storageMeter';
import { FakeLog, TEST_SETTINGS } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const ROUTED: DeliveryPolicy = {
  ...EMPTY_POLICY,
  routes: [{ match: { recipientDomains: ['routed.test'] }, smartHosts: ['default'] }],
  source: 'test',
};

/** Stub: the smart host is not what is measured. */
const ACCEPTING: SmartHost = {
  send: () => Promise.resolve({ kind: 'accepted', smtpCode: 250, enhancedCode: '2.0.0', response: '250 2.0.0 Ok: queued as STUB' }),
  close: () => undefined,
};

let azurite: RunningAzurite;
let meter: StorageMeter;
let config: RelayConfig;
let clients: StorageClients;
let deps: RelayDeps;
let number = 0;

before(async () => {
  azurite = await startAzurite({ inMemory: true });
  meter = await startStorageMeter(azurite);
  config = loadConfig({ ...TEST_SETTINGS, AzureWebJobsStorage: meter.connectionString, RELAY_ALLOWED_SENDER_DOMAINS: 'example.com' });
  clients = createStorageClients(config);
  await ensureStorageResources(clients);
  deps = buildRelayDeps(config, ACCEPTING);
});

after(async () => {
  await deps?.senders.close();
  await meter?.stop();
  await azurite?.stop();
});

function total(): number {
  return meter.snapshot().reduce((sum, c) => sum + (c.batchedOperations || c.requests), 0);
}

function described(): string {
  return meter
    .snapshot()
    .map((c) => `${c.service} ${c.operation} ${c.batchedOperations || c.requests}`)
    .join(', ');
}

/** Accepts one single-recipient message and takes its task off the queue, as the host would. */
async function acceptOne(recipient: string): Promise<{ task: DeliveryTask; queueMessageId: string; accepted: number; acceptOps: string }> {
  meter.reset();
  const body = Buffer.from(JSON.stringify({ from: 'app@example.com', to: recipient, subject: 'cost', text: 'hello' }));
  await acceptMessage(deps, { contentType: 'application/json', body, idempotencyKey: null }, new FakeLog());
  const accepted = total();
  const acceptOps = described();
  const [received] = (await clients.queue.receiveMessages({ numberOfMessages: 1 })).receivedMessageItems;
  await clients.queue.deleteMessage(received.messageId, received.popReceipt);
  return { task: parseDeliveryTask(received.messageText)!, queueMessageId: received.messageId, accepted, acceptOps };
}

/** The storage transactions of one delivery invocation (the host's receive and delete of its task not included). */
async function deliveryCost(task: DeliveryTask, queueMessageId: string, now?: () => Date): Promise<{ ops: number; text: string }> {
  meter.reset();
  await deliverTask(now ? { ...deps, now } : deps, task, new FakeLog(), { queueMessageId, dequeueCount: 1 });
  return { ops: total(), text: described() };
}

test('storage transactions per delivery: no routes, a recipient no route matches, a routed recipient', FILE_TIMEOUT, async () => {
  // warm: the first send of an instance reads the sender's state and fills the caches once
  config.policy = ROUTED;
  const warm = await acceptOne(`warm${++number}@routed.test`);
  await deliveryCost(warm.task, warm.queueMessageId);

  config.policy = EMPTY_POLICY;
  const plain = await acceptOne(`plain${++number}@unrouted.test`);
  const none = await deliveryCost(plain.task, plain.queueMessageId);

  config.policy = ROUTED;
  const unmatched = await acceptOne(`other${++number}@unrouted.test`);
  const noMatch = await deliveryCost(unmatched.task, unmatched.queueMessageId);
  const matched = await acceptOne(`routed${++number}@routed.test`);
  const routed = await deliveryCost(matched.task, matched.queueMessageId);
  assert.equal((await deps.deliveries.get(matched.task.messageId, matched.task.recipient))?.row.smartHost, 'default');

  assert.equal(noMatch.ops, none.ops, `no route matched: ${noMatch.text}; no routes: ${none.text}`);
  assert.equal(routed.ops, none.ops, `routed: ${routed.text}; no routes: ${none.text}`);
  console.log(
    [
      `delivery, no routes: ${none.ops} (${none.text})`,
      `delivery, routes, none matching: ${noMatch.ops} (${noMatch.text})`,
      `delivery, routed (one host, no limits, a 250): ${routed.ops} (${routed.text})`,
    ].join('\n'),
  );
  config.policy = EMPTY_POLICY;
});
