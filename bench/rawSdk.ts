// The accept's storage calls made directly with the SDK clients (src/storage/clients.ts), without
// the HTTP host or the accept's own logic: the floor the accept is measured against. The calls are
// not hard-coded: they repeat, in order and at their average size, the operations the storage meter
// saw the accept make, so the baseline follows whatever acceptMessage does at the time of the run.
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import { loadConfig } from '../src/config';
import { createStorageClients, ensureStorageResources, type StorageClients } from '../src/storage/clients';
import type { OperationCount } from './storageMeter';

export interface ReplayStep {
  operation: string;
  /** times per message */
  repeat: number;
  /** average request body per call */
  requestBytes: number;
  /** entities per call (table batches) */
  entities: number;
}

const REPLAYABLE = new Set([
  'QueryEntities',
  'PutBlob',
  'PutMessage',
  'InsertEntity',
  'InsertOrReplaceEntity',
  'InsertOrMergeEntity',
  'EntityGroupTransaction',
]);

/** Steps per message, in the order the accept first made them. Throws on an operation it cannot repeat. */
export function replayPlan(operations: readonly OperationCount[], messages: number): ReplayStep[] {
  const steps = [...operations]
    .sort((a, b) => a.firstSeen - b.firstSeen)
    .map((o) => ({
      operation: o.operation,
      repeat: Math.round(o.requests / messages) || gatheredWrites(o, messages),
      requestBytes: Math.round(o.requestBytes / o.requests),
      entities:
        o.operation === 'EntityGroupTransaction' && Math.round(o.requests / messages) > 0 ? Math.max(1, Math.round(o.batchedOperations / o.requests)) : 1,
    }))
    .filter((s) => s.repeat > 0);
  const unknown = steps.filter((s) => !REPLAYABLE.has(s.operation)).map((s) => s.operation);
  if (unknown.length > 0) throw new Error(`the raw-SDK baseline cannot repeat ${unknown.join(', ')} (the accept now makes them): teach bench/rawSdk.ts`);
  return steps;
}

/**
 * Transactions that several messages' writes shared (the index rows of concurrent accepts,
 * storage/partitionCommits): rarer than once per message, yet an entity or more per message. Replayed
 * as a lone accept makes them: one transaction of one entity per message.
 */
function gatheredWrites(o: OperationCount, messages: number): number {
  return o.operation === 'EntityGroupTransaction' && o.batchedOperations / messages >= 0.5 ? 1 : 0;
}

export function describePlan(steps: readonly ReplayStep[]): string {
  return steps
    .map((s) => `${s.repeat > 1 ? `${s.repeat}× ` : ''}${s.operation}${s.entities > 1 ? ` (${s.entities} entities)` : ''} ~${s.requestBytes} B`)
    .join(' → ');
}

/** Resources of its own, so the baseline's queue messages never reach the relay. */
export async function createReplayer(connectionString: string, steps: readonly ReplayStep[]): Promise<(id: string) => Promise<void>> {
  const config = loadConfig({
    AzureWebJobsStorage: connectionString,
    RELAY_ALLOWED_SENDER_DOMAINS: 'example.com',
    SMARTHOST_HOST: 'unused.invalid',
    SMARTHOST_USERNAME: 'unused',
    SMARTHOST_PASSWORD: 'unused',
    RELAY_QUEUE_NAME: 'bench-raw',
    RELAY_DELIVERIES_TABLE: 'benchraw',
    RELAY_EVENTS_TABLE: 'benchrawevents',
    RELAY_IDEMPOTENCY_TABLE: 'benchrawidempotency',
    RELAY_BODY_CONTAINER: 'bench-raw',
    RELAY_SUPPRESSIONS_TABLE: 'benchrawsuppressions',
    RELAY_SENDERS_TABLE: 'benchrawsenders',
  });
  const clients = createStorageClients(config);
  await ensureStorageResources(clients);
  return async (id) => {
    for (const [index, step] of steps.entries()) {
      for (let r = 0; r < step.repeat; r++) await perform(clients, step, `${id}-${index}-${r}`);
    }
  };
}

async function perform(clients: StorageClients, step: ReplayStep, key: string): Promise<void> {
  const entity = (rowKey: string, bytes: number): TableEntity => ({ partitionKey: key, rowKey, pad: 'x'.repeat(Math.max(0, bytes)) });
  switch (step.operation) {
    case 'QueryEntities':
      // the accept's read of one partition (the suppression list's entries for one address): none there
      for await (const found of clients.suppressions.listEntities({ queryOptions: { filter: `PartitionKey eq '${key}'` } })) void found;
      return;
    case 'PutBlob':
      await clients.bodies
        .getBlockBlobClient(`${key}.eml`)
        .uploadData(Buffer.alloc(step.requestBytes, 'x'), { blobHTTPHeaders: { blobContentType: 'message/rfc822' } });
      return;
    case 'PutMessage':
      // the request body is the text inside a small XML envelope
      await clients.queue.sendMessage('x'.repeat(Math.max(1, step.requestBytes - 90)), { messageTimeToLive: -1 });
      return;
    case 'InsertEntity':
      await clients.deliveries.createEntity(entity('r', step.requestBytes - 120));
      return;
    case 'InsertOrReplaceEntity':
      await clients.deliveries.upsertEntity(entity('r', step.requestBytes - 120), 'Replace');
      return;
    case 'InsertOrMergeEntity':
      await clients.deliveries.upsertEntity(entity('r', step.requestBytes - 120), 'Merge');
      return;
    case 'EntityGroupTransaction': {
      const perEntity = Math.round(step.requestBytes / step.entities) - 450;
      const actions: TransactionAction[] = Array.from({ length: step.entities }, (_, i) => ['create', entity(`r${i}`, perEntity)]);
      await clients.deliveries.submitTransaction(actions);
      return;
    }
    default:
      throw new Error(`cannot repeat ${step.operation}`);
  }
}
