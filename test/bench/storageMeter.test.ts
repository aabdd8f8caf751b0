// The meter's classification, then the meter itself in front of a real Azurite with the SDK clients.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { QueueServiceClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { classifyStorageRequest, countBatchOperations, startStorageMeter, type StorageMeter } from '../../bench/storageMeter';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

test('names blob requests after their REST operation', FILE_TIMEOUT, () => {
  assert.equal(classifyStorageRequest('blob', 'PUT', '/devstoreaccount1/messages?restype=container'), 'CreateContainer');
  assert.equal(classifyStorageRequest('blob', 'PUT', '/devstoreaccount1/messages/abc.eml'), 'PutBlob');
  assert.equal(classifyStorageRequest('blob', 'PUT', '/devstoreaccount1/messages/abc.eml?comp=block&blockid=AA'), 'PutBlock');
  assert.equal(classifyStorageRequest('blob', 'GET', '/devstoreaccount1/messages/abc.eml'), 'GetBlob');
  assert.equal(classifyStorageRequest('blob', 'HEAD', '/devstoreaccount1/messages/abc.eml'), 'GetBlobProperties');
  assert.equal(classifyStorageRequest('blob', 'DELETE', '/devstoreaccount1/messages/abc.eml'), 'DeleteBlob');
  assert.equal(classifyStorageRequest('blob', 'GET', '/devstoreaccount1/messages?restype=container&comp=list'), 'ListBlobs');
});

test('names queue requests, telling a peek from a receive', FILE_TIMEOUT, () => {
  assert.equal(classifyStorageRequest('queue', 'PUT', '/devstoreaccount1/deliveries'), 'CreateQueue');
  assert.equal(classifyStorageRequest('queue', 'POST', '/devstoreaccount1/deliveries/messages?messagettl=-1'), 'PutMessage');
  assert.equal(classifyStorageRequest('queue', 'GET', '/devstoreaccount1/deliveries/messages?numofmessages=16&visibilitytimeout=600'), 'GetMessages');
  assert.equal(classifyStorageRequest('queue', 'GET', '/devstoreaccount1/deliveries/messages?peekonly=true'), 'PeekMessages');
  assert.equal(classifyStorageRequest('queue', 'DELETE', '/devstoreaccount1/deliveries/messages/0b7e?popreceipt=x'), 'DeleteMessage');
  assert.equal(classifyStorageRequest('queue', 'PUT', '/devstoreaccount1/deliveries/messages/0b7e?popreceipt=x&visibilitytimeout=0'), 'UpdateMessage');
  assert.equal(classifyStorageRequest('queue', 'GET', '/devstoreaccount1/deliveries?comp=metadata'), 'GetQueueMetadata');
});

test('names table requests: point reads, queries, conditional and unconditional writes, batches', FILE_TIMEOUT, () => {
  const row = "/devstoreaccount1/deliveries(PartitionKey='m1',RowKey='user%40example.net')";
  assert.equal(classifyStorageRequest('table', 'GET', row), 'GetEntity');
  assert.equal(classifyStorageRequest('table', 'GET', "/devstoreaccount1/deliveries()?$filter=PartitionKey%20eq%20'm1'"), 'QueryEntities');
  assert.equal(classifyStorageRequest('table', 'PUT', row, { 'if-match': 'W/"etag"' }), 'UpdateEntity');
  assert.equal(classifyStorageRequest('table', 'PUT', row), 'InsertOrReplaceEntity');
  assert.equal(classifyStorageRequest('table', 'PATCH', row), 'InsertOrMergeEntity');
  assert.equal(classifyStorageRequest('table', 'MERGE', row, { 'if-match': '*' }), 'MergeEntity');
  assert.equal(classifyStorageRequest('table', 'DELETE', row), 'DeleteEntity');
  assert.equal(classifyStorageRequest('table', 'POST', '/devstoreaccount1/deliveries'), 'InsertEntity');
  assert.equal(classifyStorageRequest('table', 'POST', '/devstoreaccount1/$batch'), 'EntityGroupTransaction');
  assert.equal(classifyStorageRequest('table', 'POST', '/devstoreaccount1/Tables'), 'CreateTable');
});

test('counts the operations inside a table batch body', FILE_TIMEOUT, () => {
  const body = [
    '--batch_1',
    'Content-Type: multipart/mixed; boundary=changeset_1',
    '',
    '--changeset_1',
    'POST http://127.0.0.1:10002/devstoreaccount1/deliveries HTTP/1.1',
    'Content-Type: application/json',
    '',
    '{}',
    '--changeset_1',
    "DELETE http://127.0.0.1:10002/devstoreaccount1/deliveries(PartitionKey='a',RowKey='b') HTTP/1.1",
    '',
    '--changeset_1--',
    '--batch_1--',
  ].join('\r\n');
  assert.equal(countBatchOperations(body), 2);
  assert.equal(countBatchOperations('no requests here'), 0);
});

let azurite: RunningAzurite;
let meter: StorageMeter;

before(async () => {
  azurite = await startAzurite({ inMemory: true });
  meter = await startStorageMeter(azurite);
});

after(async () => {
  await meter?.stop();
  await azurite?.stop();
});

test('in front of Azurite, forwards every SDK call and counts it by service and operation', FILE_TIMEOUT, async () => {
  const queue = QueueServiceClient.fromConnectionString(meter.connectionString).getQueueClient('metered');
  const table = TableClient.fromConnectionString(meter.connectionString, 'metered', { allowInsecureConnection: true });
  const container = BlobServiceClient.fromConnectionString(meter.connectionString).getContainerClient('metered');
  await Promise.all([queue.create(), table.createTable(), container.create()]);
  meter.reset();

  assert.equal((await queue.receiveMessages()).receivedMessageItems.length, 0);
  await queue.sendMessage('one');
  await queue.sendMessage('two');
  const received = (await queue.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems;
  assert.deepEqual(received.map((m) => m.messageText).sort(), ['one', 'two']);
  for (const m of received) await queue.deleteMessage(m.messageId, m.popReceipt);
  await table.submitTransaction([
    ['create', { partitionKey: 'p', rowKey: 'a' }],
    ['create', { partitionKey: 'p', rowKey: 'b' }],
  ]);
  assert.equal((await table.getEntity('p', 'a')).rowKey, 'a');
  await container.getBlockBlobClient('x.eml').uploadData(Buffer.from('hello'));

  const counts = Object.fromEntries(meter.snapshot().map((c) => [`${c.service} ${c.operation}`, c]));
  assert.deepEqual(Object.fromEntries(Object.entries(counts).map(([k, c]) => [k, c.requests])), {
    'queue GetMessages (empty)': 1,
    'queue PutMessage': 2,
    'queue GetMessages': 1,
    'queue DeleteMessage': 2,
    'table EntityGroupTransaction': 1,
    'table GetEntity': 1,
    'blob PutBlob': 1,
  });
  assert.equal(counts['queue GetMessages'].messages, 2);
  assert.equal(counts['table EntityGroupTransaction'].batchedOperations, 2);
  assert.equal(counts['blob PutBlob'].requestBytes, 5);
  assert.ok(counts['queue GetMessages (empty)'].firstSeen < counts['queue PutMessage'].firstSeen, 'first appearance is kept');

  meter.reset();
  assert.deepEqual(meter.snapshot(), []);
});
