import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite } from '../../src/local/azurite';
import { makeTempDir } from './hostFixtures';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

function portOf(endpoint: string): number {
  return Number(new URL(endpoint).port);
}

test('starts in memory on ephemeral ports; blob, queue and table all work; stop closes them', FILE_TIMEOUT, async () => {
  const first = await startAzurite({ inMemory: true });
  const second = await startAzurite({});
  try {
    const ports = [first, second].flatMap((a) => [a.blobEndpoint, a.queueEndpoint, a.tableEndpoint].map(portOf));
    assert.equal(new Set(ports).size, 6, `two instances use six distinct ports: ${ports.join(', ')}`);
    assert.match(
      first.connectionString,
      /^DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=[^;]+;BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;QueueEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;TableEndpoint=http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1;$/,
    );

    const queue = QueueServiceClient.fromConnectionString(first.connectionString).getQueueClient('azurite-test');
    await queue.create();
    await queue.sendMessage('hello');
    assert.equal((await queue.receiveMessages()).receivedMessageItems[0]?.messageText, 'hello');

    const container = BlobServiceClient.fromConnectionString(first.connectionString).getContainerClient('azurite-test');
    await container.create();
    await container.getBlockBlobClient('a.txt').upload('blob body', 9);
    assert.equal((await container.getBlobClient('a.txt').downloadToBuffer()).toString(), 'blob body');

    // the Tables SDK refuses plain http with a key unless told this is intended
    const table = TableClient.fromConnectionString(first.connectionString, 'azuritetest', { allowInsecureConnection: true });
    await table.createTable();
    await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 5 });
    assert.equal((await table.getEntity<{ value: number }>('p', 'r')).value, 5);
  } finally {
    await Promise.all([first.stop(), second.stop()]);
  }
  await assert.rejects(fetch(`${first.queueEndpoint}?comp=list`), 'the queue port is closed after stop');
  await first.stop(); // stopping twice is harmless
});

test('with a location (created if missing), data survives a restart', FILE_TIMEOUT, async () => {
  const location = path.join(makeTempDir('relay-azurite-'), 'not', 'there', 'yet');
  const before = await startAzurite({ location });
  const queueName = 'persisted-queue';
  try {
    const queue = QueueServiceClient.fromConnectionString(before.connectionString).getQueueClient(queueName);
    await queue.create();
    await queue.sendMessage('kept');
  } finally {
    await before.stop();
  }
  const after = await startAzurite({ location });
  try {
    const queue = QueueServiceClient.fromConnectionString(after.connectionString).getQueueClient(queueName);
    assert.equal((await queue.peekMessages()).peekedMessageItems[0]?.messageText, 'kept');
  } finally {
    await after.stop();
  }
});

test('kill ends it at once; started again on the same ports, it has the same connection string and what it had saved', FILE_TIMEOUT, async () => {
  const location = makeTempDir('relay-azurite-');
  const queueName = 'survives-kill';
  const first = await startAzurite({ location });
  try {
    const queue = QueueServiceClient.fromConnectionString(first.connectionString).getQueueClient(queueName);
    await queue.create();
    await queue.sendMessage('saved');
  } finally {
    await first.stop(); // a graceful stop saves everything
  }
  const second = await startAzurite({ location, ...first.ports });
  assert.equal(second.connectionString, first.connectionString);
  await second.kill();
  await assert.rejects(fetch(`${second.queueEndpoint}?comp=list`), 'the queue port is closed after kill');
  await second.kill(); // killing twice is harmless
  const third = await startAzurite({ location, ...second.ports });
  try {
    assert.equal(third.connectionString, first.connectionString);
    const queue = QueueServiceClient.fromConnectionString(third.connectionString).getQueueClient(queueName);
    assert.equal((await queue.peekMessages()).peekedMessageItems[0]?.messageText, 'saved');
  } finally {
    await third.stop();
  }
});

test('location and inMemory together are refused before anything starts', FILE_TIMEOUT, async () => {
  await assert.rejects(startAzurite({ location: makeTempDir('relay-azurite-'), inMemory: true }), /cannot be combined/);
});
