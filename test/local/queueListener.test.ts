// The queue listener's processing lease (RELAY_LOCAL_QUEUE_LEASE_SECONDS): a message being processed
// stays invisible while its invocation runs, and reappears once the lease has passed after a crash.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { DEFAULT_PROCESSING_LEASE_SECONDS, parseProcessingLeaseSeconds, readQueueListenerOptions } from '../../src/local/queueOptions';
import { makeTempDir, runFailingHost, spawnHost, waitFor, writeFixtureApp } from './hostFixtures';
import type { probe as fixtureProbe } from './fixtures/app/probe';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let azurite: RunningAzurite;
let queues: QueueServiceClient;

before(async () => {
  azurite = await startAzurite({ inMemory: true });
  queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
});

after(async () => {
  await azurite?.stop();
});

test('the lease is whole seconds from 1 to 7 days; 600 unless set', FILE_TIMEOUT, () => {
  assert.equal(DEFAULT_PROCESSING_LEASE_SECONDS, 600);
  assert.equal(readQueueListenerOptions({}).processingLeaseSeconds, 600);
  assert.equal(readQueueListenerOptions({}, 5).processingLeaseSeconds, 5);
  assert.equal(parseProcessingLeaseSeconds('1'), 1);
  assert.equal(parseProcessingLeaseSeconds(' 30 '), 30);
  assert.equal(parseProcessingLeaseSeconds('604800'), 604800);
  for (const bad of ['0', '-5', '1.5', 'ten', '', '604801']) {
    assert.throws(
      () => parseProcessingLeaseSeconds(bad),
      new RegExp(`^Error: RELAY_LOCAL_QUEUE_LEASE_SECONDS is "${bad}": it must be a whole number of seconds from 1 to 604800$`),
    );
  }
});

test('a host given an invalid lease exits 1 naming the setting', FILE_TIMEOUT, async () => {
  const appRoot = writeFixtureApp('app/*.js', { version: '2.0' });
  const { code, output } = await runFailingHost(appRoot, {
    AzureWebJobsStorage: azurite.connectionString,
    FIXTURE_RECEIVE_QUEUE: 'lease-invalid',
    RELAY_LOCAL_QUEUE_LEASE_SECONDS: 'soon',
  });
  assert.equal(code, 1);
  assert.match(output, /Function host failed to start: RELAY_LOCAL_QUEUE_LEASE_SECONDS is "soon"/);
});

test('with a 2-second lease: renewed while the invocation runs, visible again 2 s after a SIGKILL', FILE_TIMEOUT, async () => {
  const leaseSeconds = 2;
  const appRoot = writeFixtureApp('app/*.js', {
    version: '2.0',
    extensions: { queues: { messageEncoding: 'none', maxPollingInterval: '00:00:00.250', visibilityTimeout: '00:00:00' } },
  });
  const host = await spawnHost(appRoot, {
    AzureWebJobsStorage: azurite.connectionString,
    FIXTURE_RECEIVE_QUEUE: 'lease-receive',
    RELAY_LOCAL_QUEUE_LEASE_SECONDS: String(leaseSeconds),
  });
  const readProbe = async () => (await (await fetch(`${host.url}/api/probe/state`)).json()) as typeof fixtureProbe;
  const queue = queues.getQueueClient('gated-work');
  const workDir = makeTempDir('relay-lease-');
  try {
    // The gate is never opened: the invocation runs until the host is killed.
    await queue.sendMessage(JSON.stringify({ gate: path.join(workDir, 'gate'), done: path.join(workDir, 'done') }));
    await waitFor('the gated invocation to start', async () => (await readProbe()).gatedStarted === 1);
    // Unrenewed, the lease would lapse after 2 s and the host (polling every 250 ms) would start the
    // message a second time; past twice the lease, it must still be running once and invisible.
    const runningSince = Date.now();
    await waitFor('twice the lease to pass', () => Date.now() - runningSince > 2 * leaseSeconds * 1000, 10_000);
    assert.equal((await readProbe()).gatedStarted, 1, 'the lease was renewed: no second invocation');
    assert.equal((await queue.peekMessages()).peekedMessageItems.length, 0, 'invisible while it runs');
  } finally {
    host.child.kill('SIGKILL');
    await host.exited;
  }
  const reappeared = await waitFor('the message to be visible again after the lease', async () => (await queue.peekMessages()).peekedMessageItems[0], 15_000);
  assert.equal(reappeared.dequeueCount, 1, 'it was taken once, by the killed host');
});

test(
  'a queue whose name ends in -poison has no poison queue: a failure waits out the lease, and past maxDequeueCount the message is never processed nor deleted',
  FILE_TIMEOUT,
  async () => {
    const leaseSeconds = 1;
    const appRoot = writeFixtureApp('app/*.js', {
      version: '2.0',
      extensions: { queues: { messageEncoding: 'none', maxPollingInterval: '00:00:00.250', visibilityTimeout: '00:00:00', maxDequeueCount: 2 } },
    });
    const host = await spawnHost(appRoot, {
      AzureWebJobsStorage: azurite.connectionString,
      FIXTURE_RECEIVE_QUEUE: 'lease-poison-receive',
      RELAY_LOCAL_QUEUE_LEASE_SECONDS: String(leaseSeconds),
    });
    const readProbe = async () => (await (await fetch(`${host.url}/api/probe/state`)).json()) as typeof fixtureProbe;
    const queue = queues.getQueueClient('fixture-work-poison');
    try {
      const sent = await queue.sendMessage(JSON.stringify({ doomed: true }));
      await waitFor('the first failure', async () => (await readProbe()).poisonQueueAttempts.length === 1);
      // visibilityTimeout is 0: had the failure released the message, it would be visible at once
      assert.equal((await queue.peekMessages()).peekedMessageItems.length, 0, 'not released after the failure');
      assert.match(host.output(), /stays invisible until its 1-second lease runs out/);
      await waitFor('the second try, after the lease', async () => (await readProbe()).poisonQueueAttempts.length === 2, 10_000);
      await waitFor(
        'the message to be dequeued past maxDequeueCount',
        () => /has been dequeued 3 times \(MaxDequeueCount 2\) and has no poison queue/.test(host.output()),
        10_000,
      );
      const seenSince = Date.now();
      await waitFor('two more leases to pass', () => Date.now() - seenSince > 2500, 10_000);
      assert.deepEqual((await readProbe()).poisonQueueAttempts, [1, 2], 'never processed past maxDequeueCount');
      const still = await waitFor(
        'the message to show between leases',
        async () => (await queue.peekMessages()).peekedMessageItems.find((m) => m.messageId === sent.messageId),
        10_000,
      );
      assert.ok(still.dequeueCount >= 3, `dequeued ${still.dequeueCount} times, never deleted`);
      assert.equal(await queues.getQueueClient('fixture-work-poison-poison').exists(), false, 'no poison queue of a poison queue');
    } finally {
      await host.stop();
    }
  },
);
