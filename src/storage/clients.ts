// One place that turns the storage settings into SDK clients: a connection string locally (Azurite)
// or service URIs plus a managed identity in Azure, where shared keys are switched off.
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient, type StoragePipelineOptions as BlobPipelineOptions } from '@azure/storage-blob';
import { type QueueClient, QueueServiceClient, type StoragePipelineOptions as QueuePipelineOptions } from '@azure/storage-queue';
import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { RelayConfig } from '../config';

export interface StorageClients {
  deliveries: TableClient;
  events: TableClient;
  idempotency: TableClient;
  suppressions: TableClient;
  senders: TableClient;
  shaping: TableClient;
  suspensions: TableClient;
  messageIndex: TableClient;
  bodies: ContainerClient;
  queue: QueueClient;
  poisonQueue: QueueClient;
}

// Few, quick retries: an HTTP caller is waiting, and a queue invocation that fails is retried by the
// queue itself. The SDK defaults would hold a request for tens of seconds while storage is down.
const QUEUE_BLOB_RETRY = { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000, tryTimeoutInMs: 30_000 };
const TABLE_RETRY = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000 };

export function createStorageClients(config: RelayConfig): StorageClients {
  const storage = config.storage;
  const tableOptions: TableServiceClientOptions = { retryOptions: TABLE_RETRY };
  const queueOptions: QueuePipelineOptions = { retryOptions: QUEUE_BLOB_RETRY };
  const blobOptions: BlobPipelineOptions = { retryOptions: QUEUE_BLOB_RETRY };
  if (storage.kind === 'connectionString') {
    const connectionString = storage.connectionString;
    const insecure = /DefaultEndpointsProtocol=http;|=http:\/\/|UseDevelopmentStorage=true/i.test(connectionString);
    const table = (name: string) => TableClient.fromConnectionString(connectionString, name, { ...tableOptions, allowInsecureConnection: insecure });
    const queues = QueueServiceClient.fromConnectionString(connectionString, queueOptions);
    const blobs = BlobServiceClient.fromConnectionString(connectionString, blobOptions);
    return build(config, table, queues, blobs);
  }
  const credential = relayIdentityCredential(storage.clientId);
  const table = (name: string) => new TableClient(storage.tableServiceUri, name, credential, tableOptions);
  const queues = new QueueServiceClient(storage.queueServiceUri, credential, queueOptions);
  const blobs = new BlobServiceClient(storage.blobServiceUri, credential, blobOptions);
  return build(config, table, queues, blobs);
}

function build(config: RelayConfig, table: (name: string) => TableClient, queues: QueueServiceClient, blobs: BlobServiceClient): StorageClients {
  return {
    deliveries: table(config.deliveriesTable),
    events: table(config.eventsTable),
    idempotency: table(config.idempotencyTable),
    suppressions: table(config.suppressionsTable),
    senders: table(config.sendersTable),
    shaping: table(config.shapingTable),
    suspensions: table(config.suspensionsTable),
    messageIndex: table(config.messageIndexTable),
    bodies: blobs.getContainerClient(config.bodyContainer),
    queue: queues.getQueueClient(config.queueName),
    poisonQueue: queues.getQueueClient(config.poisonQueueName),
  };
}

/**
 * The relay's own identity for its SDK clients and the XOAUTH2 token. In Azure, the user-assigned
 * identity named by RELAY_IDENTITY_CLIENT_ID and nothing else: the Functions docs advise against
 * AZURE_CLIENT_ID, which DefaultAzureCredential and the host's other connections would read too.
 * Without a client id (a developer pointing the relay at real storage) DefaultAzureCredential finds
 * a sign-in of its own.
 */
export function relayIdentityCredential(clientId: string | undefined): TokenCredential {
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}

/**
 * Creates the queues, tables and container if they are missing. Used by the local host and tests;
 * in Azure, infra/main.bicep creates them and the app's identity has no need to.
 */
export async function ensureStorageResources(clients: StorageClients): Promise<void> {
  await Promise.all([
    clients.deliveries.createTable(),
    clients.events.createTable(),
    clients.idempotency.createTable(),
    clients.suppressions.createTable(),
    clients.senders.createTable(),
    clients.shaping.createTable(),
    clients.suspensions.createTable(),
    clients.messageIndex.createTable(),
    clients.bodies.createIfNotExists(),
    clients.queue.createIfNotExists(),
    clients.poisonQueue.createIfNotExists(),
  ]);
}
