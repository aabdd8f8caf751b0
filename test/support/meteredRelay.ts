// The relay's real adapters and use-cases with the storage meter in front of Azurite: what the
// storage-cost tests (test/storage/*Cost.test.ts) count transactions with. The smart host is a stub
// answering 250: SMTP is not what they measure.
import { loadConfig, type RelayConfig } from '../../src/config';
import { parseDeliveryTask, type DeliveryTask } from '../../src/core/deliveryTask';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { acceptMessage } from '../../src/relay/acceptMessage';
import { deliverTask } from '../../src/relay/deliverTask';
import type { RelayDeps } from '../../src/relay/deps';
import type { SmartHost } from '../../src/relay/ports';
import { buildRelayDeps } from '../../src/runtime';
import { createStorageClients, ensureStorageResources, type StorageClients } from '../../src/storage/clients';
import { startStorageMeter, type StorageMeter } from '../../bench/storageMeter';
import { warmSuppressionMarks } from '../../bench/relayHost';
import { FakeLog, TEST_SETTINGS } from './fakes';

/** Stub: the smart host is not what is measured. */
const ACCEPTING: SmartHost = {
  send: () => Promise.resolve({ kind: 'accepted', smtpCode: 250, enhancedCode: '2.0.0', response: '250 2.0.0 Ok: queued as STUB' }),
  close: () => undefined,
};

/** Storage transactions counted since the last reset: how many, and which. */
export interface Cost {
  /** a table transaction counted once per entity it carried */
  ops: number;
  /** requests: a table transaction counted once, as the bench and the bill count it */
  transactions: number;
  /** requests by "service operation" */
  requests: Record<string, number>;
  text: string;
}

export interface QueuedTask {
  task: DeliveryTask;
  queueMessageId: string;
}

export interface MeteredRelay {
  readonly config: RelayConfig;
  readonly clients: StorageClients;
  readonly deps: RelayDeps;
  /** Accepts one message (JSON fields over a default single-recipient one) and takes its tasks off the queue, as the host would. */
  accept(fields: Record<string, unknown>): Promise<{ cost: Cost; tasks: QueuedTask[] }>;
  /** Accepts one single-recipient message to `recipient`: its task, and what the accept cost. */
  acceptOne(recipient: string): Promise<QueuedTask & { accepted: Cost }>;
  /** Accepts a single-recipient message to each of `recipients` at once, as concurrent callers would: their tasks, and what the accepts cost. */
  acceptAtOnce(recipients: readonly string[]): Promise<{ cost: Cost; tasks: QueuedTask[] }>;
  /** The storage transactions of one delivery invocation (the host's receive and delete of its task not included). */
  deliveryCost(queued: QueuedTask, now?: () => Date): Promise<Cost>;
  /** The same for invocations that run at once, one per task, as a host's concurrent ones would. */
  deliverAtOnce(queued: readonly QueuedTask[]): Promise<Cost>;
  stop(): Promise<void>;
}

export async function startMeteredRelay(): Promise<MeteredRelay> {
  const azurite: RunningAzurite = await startAzurite({ inMemory: true });
  const meter: StorageMeter = await startStorageMeter(azurite);
  const config = loadConfig({ ...TEST_SETTINGS, AzureWebJobsStorage: meter.connectionString, RELAY_ALLOWED_SENDER_DOMAINS: 'example.com' });
  const clients = createStorageClients(config);
  await ensureStorageResources(clients);
  const deps = buildRelayDeps(config, ACCEPTING);
  await warmSuppressionMarks(deps.suppressions);
  const counted = (): Cost => {
    const calls = meter.snapshot();
    return {
      ops: calls.reduce((sum, c) => sum + (c.batchedOperations || c.requests), 0),
      transactions: calls.reduce((sum, c) => sum + c.requests, 0),
      requests: Object.fromEntries(calls.map((c) => [`${c.service} ${c.operation}`, c.requests])),
      text: calls.map((c) => `${c.service} ${c.operation} ${c.batchedOperations || c.requests}`).join(', '),
    };
  };
  const acceptEach = async (messages: readonly Record<string, unknown>[]) => {
    meter.reset();
    const bodies = messages.map((fields) => Buffer.from(JSON.stringify({ from: 'app@example.com', subject: 'cost', text: 'hello', ...fields })));
    await Promise.all(bodies.map((body) => acceptMessage(deps, { contentType: 'application/json', body, idempotencyKey: null }, new FakeLog())));
    const cost = counted();
    const tasks: QueuedTask[] = [];
    for (;;) {
      const received = (await clients.queue.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems;
      for (const r of received) await clients.queue.deleteMessage(r.messageId, r.popReceipt);
      tasks.push(...received.map((r) => ({ task: parseDeliveryTask(r.messageText)!, queueMessageId: r.messageId })));
      if (received.length < 32) return { cost, tasks };
    }
  };
  const accept: MeteredRelay['accept'] = (fields) => acceptEach([fields]);
  return {
    config,
    clients,
    deps,
    accept,
    async acceptOne(recipient) {
      const { cost, tasks } = await accept({ to: recipient });
      return { ...tasks[0], accepted: cost };
    },
    acceptAtOnce: (recipients) => acceptEach(recipients.map((to) => ({ to }))),
    async deliveryCost({ task, queueMessageId }, now) {
      meter.reset();
      await deliverTask(now ? { ...deps, now } : deps, task, new FakeLog(), { queueMessageId, dequeueCount: 1 });
      return counted();
    },
    async deliverAtOnce(queued) {
      meter.reset();
      await Promise.all(queued.map(({ task, queueMessageId }) => deliverTask(deps, task, new FakeLog(), { queueMessageId, dequeueCount: 1 })));
      return counted();
    },
    async stop() {
      await deps.senders.close();
      await meter.stop();
      await azurite.stop();
    },
  };
}
