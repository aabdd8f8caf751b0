// A counting HTTP proxy in front of Azurite: the host's AzureWebJobsStorage points at its three ports,
// every request is forwarded unchanged and counted by service and operation (the names of the
// Storage REST API), so the bench can say how many storage transactions a message costs.
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { devStoreAccountKey, devStoreAccountName, type RunningAzurite } from '../src/local/azurite';

export type StorageService = 'blob' | 'queue' | 'table';
const SERVICES: readonly StorageService[] = ['blob', 'queue', 'table'];

/** Names a request after the REST operation it performs; `path` is URL-decoded and without the query. */
export function classifyStorageRequest(service: StorageService, method: string, url: string, headers: IncomingHttpHeaders = {}): string {
  const parsed = new URL(url, 'http://storage');
  const query = parsed.searchParams;
  // path-style (Azurite): /<account>/<resource>...
  const segments = decodeURIComponent(parsed.pathname).split('/').filter(Boolean).slice(1);
  const verb = method.toUpperCase();
  if (service === 'blob') return classifyBlob(verb, segments, query, headers);
  if (service === 'queue') return classifyQueue(verb, segments, query);
  return classifyTable(verb, segments, headers);
}

function classifyBlob(verb: string, segments: string[], query: URLSearchParams, headers: IncomingHttpHeaders): string {
  const comp = query.get('comp');
  if (segments.length === 0) return comp === 'list' ? 'ListContainers' : `Service${verb}`;
  if (segments.length === 1 || query.get('restype') === 'container') {
    if (verb === 'PUT') return 'CreateContainer';
    if (verb === 'DELETE') return 'DeleteContainer';
    return comp === 'list' ? 'ListBlobs' : 'GetContainerProperties';
  }
  if (verb === 'PUT') {
    if (comp === 'block') return 'PutBlock';
    if (comp === 'blocklist') return 'PutBlockList';
    if (comp) return `SetBlob:${comp}`;
    return headers['x-ms-copy-source'] ? 'CopyBlob' : 'PutBlob';
  }
  if (verb === 'GET') return comp ? `GetBlob:${comp}` : 'GetBlob';
  if (verb === 'HEAD') return 'GetBlobProperties';
  if (verb === 'DELETE') return 'DeleteBlob';
  return `Blob${verb}`;
}

function classifyQueue(verb: string, segments: string[], query: URLSearchParams): string {
  if (segments.length === 0) return query.get('comp') === 'list' ? 'ListQueues' : `Service${verb}`;
  if (segments.length === 1) {
    if (query.get('comp') === 'metadata') return verb === 'PUT' ? 'SetQueueMetadata' : 'GetQueueMetadata';
    if (verb === 'PUT') return 'CreateQueue';
    if (verb === 'DELETE') return 'DeleteQueue';
    return `Queue${verb}`;
  }
  if (segments.length === 2) {
    if (verb === 'POST') return 'PutMessage';
    if (verb === 'GET') return query.get('peekonly') === 'true' ? 'PeekMessages' : 'GetMessages';
    if (verb === 'DELETE') return 'ClearMessages';
  } else {
    if (verb === 'DELETE') return 'DeleteMessage';
    if (verb === 'PUT') return 'UpdateMessage';
  }
  return `Messages${verb}`;
}

function classifyTable(verb: string, segments: string[], headers: IncomingHttpHeaders): string {
  const resource = segments[0] ?? '';
  if (resource === '$batch') return 'EntityGroupTransaction';
  if (resource === 'Tables') return verb === 'POST' ? 'CreateTable' : 'QueryTables';
  if (resource.startsWith('Tables(')) return 'DeleteTable';
  const keys = /\(.*PartitionKey=.*RowKey=.*\)$/.test(resource);
  const conditional = headers['if-match'] !== undefined;
  if (verb === 'POST') return 'InsertEntity';
  if (verb === 'GET') return keys ? 'GetEntity' : 'QueryEntities';
  if (verb === 'PUT') return conditional ? 'UpdateEntity' : 'InsertOrReplaceEntity';
  if (verb === 'MERGE' || verb === 'PATCH') return conditional ? 'MergeEntity' : 'InsertOrMergeEntity';
  if (verb === 'DELETE') return 'DeleteEntity';
  return `Table${verb}`;
}

/** How many operations a table batch (multipart body) carries. */
export function countBatchOperations(body: string): number {
  return (body.match(/^(POST|PUT|MERGE|PATCH|DELETE|GET) \S+ HTTP\/1\.1\r?$/gm) ?? []).length;
}

/** The entities in a table query's JSON answer (0 for an answer that is not one). */
function entitiesIn(body: Buffer): number {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { value?: unknown };
    return Array.isArray(parsed.value) ? parsed.value.length : 0;
  } catch {
    return 0;
  }
}

export interface OperationCount {
  service: StorageService;
  /** e.g. PutMessage; a GetMessages that found no message is counted as 'GetMessages (empty)' */
  operation: string;
  requests: number;
  requestBytes: number;
  /** table batches: the entities they carried */
  batchedOperations: number;
  /** GetMessages: the messages they returned */
  messages: number;
  /** QueryEntities: the entities they returned (what a query really read) */
  entities: number;
  /** order of first appearance since the last reset (0 = first) */
  firstSeen: number;
}

export interface StorageMeter {
  readonly connectionString: string;
  /** Counts since the last reset, most frequent first */
  snapshot(): OperationCount[];
  reset(): void;
  stop(): Promise<void>;
}

export async function startStorageMeter(azurite: RunningAzurite): Promise<StorageMeter> {
  let counts = new Map<string, OperationCount>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const targets: Record<StorageService, URL> = {
    blob: new URL(azurite.blobEndpoint),
    queue: new URL(azurite.queueEndpoint),
    table: new URL(azurite.tableEndpoint),
  };

  const record = (service: StorageService, operation: string, requestBody: Buffer, responseBody: Buffer) => {
    const messages = operation === 'GetMessages' ? (responseBody.toString('utf8').match(/<QueueMessage>/g) ?? []).length : 0;
    const entities = operation === 'QueryEntities' ? entitiesIn(responseBody) : 0;
    const name = operation === 'GetMessages' && messages === 0 ? 'GetMessages (empty)' : operation;
    const key = `${service} ${name}`;
    const entry = counts.get(key) ?? {
      service,
      operation: name,
      requests: 0,
      requestBytes: 0,
      batchedOperations: 0,
      messages: 0,
      entities: 0,
      firstSeen: counts.size,
    };
    entry.requests++;
    entry.requestBytes += requestBody.length;
    entry.messages += messages;
    entry.entities += entities;
    if (operation === 'EntityGroupTransaction') entry.batchedOperations += countBatchOperations(requestBody.toString('utf8'));
    counts.set(key, entry);
  };

  const servers = SERVICES.map((service) =>
    http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const requestBody = Buffer.concat(chunks);
        const operation = classifyStorageRequest(service, req.method ?? 'GET', req.url ?? '/', req.headers);
        const upstream = http.request(
          { host: targets[service].hostname, port: targets[service].port, method: req.method, path: req.url, headers: req.headers, agent },
          (answer) => {
            const parts: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => parts.push(chunk));
            answer.on('end', () => {
              const responseBody = Buffer.concat(parts);
              record(service, operation, requestBody, responseBody);
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(responseBody);
            });
          },
        );
        upstream.on('error', (error) => {
          res.writeHead(502).end(error.message);
        });
        upstream.end(requestBody);
      });
    }),
  );
  const ports = await Promise.all(
    servers.map((server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))),
  );
  const endpoint = (i: number) => `http://127.0.0.1:${ports[i]}/${devStoreAccountName}`;
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${devStoreAccountName};AccountKey=${devStoreAccountKey};` +
      `BlobEndpoint=${endpoint(0)};QueueEndpoint=${endpoint(1)};TableEndpoint=${endpoint(2)};`,
    snapshot: () => [...counts.values()].map((c) => ({ ...c })).sort((a, b) => b.requests - a.requests),
    reset: () => {
      counts = new Map();
    },
    stop: async () => {
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      agent.destroy();
    },
  };
}
