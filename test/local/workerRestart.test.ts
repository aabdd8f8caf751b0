// host.json functionTimeout and uncaught exceptions, as Azure handles them: every invocation running
// in the worker fails (its queue message is released for visibilityTimeout and counts towards
// poison), and the worker restarts. Locally the host process exits with WORKER_RESTART_EXIT_CODE and
// hostProcess.ts starts it again on the same port.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { spawnHost, type HostProcess } from '../../src/local/hostProcess';
import { formatTimeSpan, parseFunctionTimeout, WorkerLifetime } from '../../src/local/workerLifetime';
import { parseTimeSpan } from '../../src/local/queueOptions';
import { makeTempDir, waitFor, writeFixtureApp } from './hostFixtures';
import type { probe as fixtureProbe } from './fixtures/app/probe';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let azurite: RunningAzurite;
let host: HostProcess;
const output: string[] = [];
const workDir = makeTempDir('relay-worker-');

before(async () => {
  azurite = await startAzurite({ inMemory: true });
  const appRoot = writeFixtureApp('app/*.js', {
    version: '2.0',
    functionTimeout: '00:00:02',
    extensions: { queues: { messageEncoding: 'none', maxPollingInterval: '00:00:00.250', visibilityTimeout: '00:00:00' } },
  });
  host = await spawnHost({
    appRoot,
    env: { ...process.env, AzureWebJobsStorage: azurite.connectionString, FIXTURE_RECEIVE_QUEUE: 'worker-receive', RELAY_LOCAL_PORT: '0' },
    output: (line) => output.push(line),
  });
});

after(async () => {
  await host?.stop();
  await azurite?.stop();
});

const log = () => output.join('\n');
const readProbe = async () => (await (await fetch(`${host.url}/api/probe/state`)).json()) as typeof fixtureProbe;

test('functionTimeout parses as the host does: a TimeSpan, -1 for none, 30 minutes when absent', FILE_TIMEOUT, () => {
  assert.equal(parseFunctionTimeout('00:10:00', parseTimeSpan), 600_000);
  assert.equal(parseFunctionTimeout(undefined, parseTimeSpan), 30 * 60_000);
  assert.equal(parseFunctionTimeout('-1', parseTimeSpan), undefined);
  assert.throws(() => parseFunctionTimeout('ten minutes', parseTimeSpan), /host\.json functionTimeout is "ten minutes"/);
  assert.equal(formatTimeSpan(600_000), '00:10:00');
  assert.equal(formatTimeSpan(90_061_000), '1.01:01:01');
});

test('a worker that died runs nothing more: later invocations fail at once', FILE_TIMEOUT, async () => {
  let deaths = 0;
  const worker = new WorkerLifetime(undefined, () => deaths++);
  const running = worker.run('a', () => new Promise(() => undefined));
  worker.die(new Error('test'));
  worker.die(new Error('again'));
  await assert.rejects(running, /The worker running this invocation is restarting: test/);
  await assert.rejects(
    worker.run('b', () => Promise.resolve('never')),
    /The worker is restarting/,
  );
  assert.equal(deaths, 1);
});

test('an invocation past functionTimeout fails, its message is released and counts, and the worker restarts on the same port', FILE_TIMEOUT, async () => {
  const gate = path.join(workDir, 'timeout-gate');
  const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('gated-work');
  const firstPid = host.child.pid;
  await queue.sendMessage(JSON.stringify({ gate, done: path.join(workDir, 'timeout-done') }));
  await waitFor('the gated invocation to start', async () => (await readProbe()).gatedStarted === 1);
  await waitFor('the timeout', () => /Timeout value of 00:00:02 was exceeded by function: Functions\.gated/.test(log()), 10_000);
  // The timed-out code may still finish before the process ends: that must not complete the message.
  writeFileSync(gate, 'open');
  await waitFor('the restart', () => host.restarts === 1, 15_000);
  assert.notEqual(host.child.pid, firstPid);
  await waitFor('the message to run again and complete', () => /\[gated\].*Executed \(Succeeded/.test(log()), 15_000);
  assert.match(log(), /\[gated\].*DequeueCount=2\)/, 'the failed try counted towards poison');
  assert.match(log(), /\[gated\].*Executed \(Failed.*FunctionTimeoutError/);
  await waitFor('the message to be deleted', async () => (await queue.getProperties()).approximateMessagesCount === 0);
});

test('an uncaught exception fails every running invocation (HTTP 500, queue message released) and restarts the worker', FILE_TIMEOUT, async () => {
  const gate = path.join(workDir, 'crash-gate');
  const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('gated-work');
  const restartsBefore = host.restarts;
  const succeededBefore = log().match(/\[gated\].*Executed \(Succeeded/g)?.length ?? 0;
  const startedBefore = (await readProbe()).gatedStarted;
  await queue.sendMessage(JSON.stringify({ gate, done: path.join(workDir, 'crash-done') }));
  await waitFor('the gated invocation to start', async () => (await readProbe()).gatedStarted === startedBefore + 1);

  const crashed = await fetch(`${host.url}/api/crash`);
  assert.equal(crashed.status, 500);
  await waitFor('the restart', () => host.restarts === restartsBefore + 1, 15_000);
  assert.match(log(), /Worker uncaught exception: Error: deliberate uncaught exception/);
  assert.match(log(), /\[gated\].*Executed \(Failed.*WorkerRestartError: The worker running this invocation is restarting/);

  writeFileSync(gate, 'open');
  await waitFor(
    'the released message to complete in the new worker',
    () => (log().match(/\[gated\].*Executed \(Succeeded/g)?.length ?? 0) === succeededBefore + 1,
    15_000,
  );
  assert.equal((await fetch(`${host.url}/api/probe/state`)).status, 200, 'the same URL answers after the restart');
});
