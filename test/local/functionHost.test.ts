// The local host with real parts: Azurite in a child process, hostMain in another, fixture functions
// written with the real @azure/functions library. Observations come back through the fixture's
// "probe" HTTP function; every wait polls with a deadline.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { makeTempDir, runFailingHost, spawnHost, waitFor, writeFixtureApp, type HostProcess } from './hostFixtures';
import { waitForExecuted } from '../support/executedLines';
import type { probe as fixtureProbe } from './fixtures/app/probe';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

type ProbeState = typeof fixtureProbe;

const functionKey = 'fixture-function-key';
const receiveQueue = 'received-messages';

let azurite: RunningAzurite;
let queues: QueueServiceClient;

before(async () => {
  azurite = await startAzurite({ inMemory: true });
  queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
});

after(async () => {
  await azurite?.stop();
});

async function readProbe(host: HostProcess): Promise<ProbeState> {
  const response = await fetch(`${host.url}/api/probe/state`);
  assert.equal(response.status, 200);
  return (await response.json()) as ProbeState;
}

describe('a running host', FILE_TIMEOUT, () => {
  let host: HostProcess;

  before(async () => {
    const appRoot = writeFixtureApp('app/*.js', {
      version: '2.0',
      extensions: {
        http: { routePrefix: 'api' },
        queues: {
          messageEncoding: 'none',
          batchSize: 4,
          newBatchThreshold: 2,
          maxPollingInterval: '00:00:00.500',
          visibilityTimeout: '00:00:00',
          maxDequeueCount: 3,
        },
      },
    });
    host = await spawnHost(appRoot, {
      AzureWebJobsStorage: azurite.connectionString,
      RELAY_LOCAL_FUNCTION_KEY: functionKey,
      FIXTURE_RECEIVE_QUEUE: receiveQueue,
    });
  });

  after(async () => {
    const { code } = await host.stop();
    assert.equal(code, 0);
  });

  test('prints the listening line once and ran the appStart hook', async () => {
    const lines = host
      .output()
      .split('\n')
      .filter((line) => line.startsWith('Function host listening on '));
    assert.deepEqual(lines, [`Function host listening on ${host.url}`]);
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await readProbe(host)).appStartHooks, 1);
  });

  test('routes by template, passes params, query, headers and the raw body, and writes the response back', async () => {
    const body = '{"text":"body-that-must-not-be-logged","ünïcode":"✓"}';
    const response = await fetch(`${host.url}/api/Items/42/notes/first%20note?tag=a&tag=b&flag=`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-private-header': 'header-value-that-must-not-be-logged' },
      body,
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('x-echo'), 'yes');
    assert.match(response.headers.get('set-cookie') ?? '', /^session=abc; Path=\/; SameSite=Lax; HttpOnly$/);
    const echoed = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(echoed, {
      method: 'POST',
      url: `${host.url}/api/Items/42/notes/first%20note?tag=a&tag=b&flag=`,
      params: { id: '42', name: 'first note' },
      query: { tag: 'a,b', flag: '' },
      contentType: 'application/json',
      body,
      functionName: 'echo',
    });
    // the optional parameter may be left out
    const withoutName = await fetch(`${host.url}/api/items/7/notes`, { method: 'PUT', body: 'x' });
    assert.equal(withoutName.status, 201);
    assert.deepEqual(((await withoutName.json()) as { params: unknown }).params, { id: '7' });

    await waitForExecuted(host.output, 'echo', { count: 2 }); // both requests' lines are all written
    assert.doesNotMatch(host.output(), /must-not-be-logged/);
    assert.match(host.output(), new RegExp(`information \\[echo\\] \\([0-9a-f-]{36}\\) echo received ${body.length} characters`));
  });

  test('answers 404 for an unknown route, a failed constraint or another method', async () => {
    for (const [method, url] of [
      ['GET', '/api/unknown'],
      ['POST', '/api/items/not-a-number/notes'],
      ['GET', '/api/items/42/notes'],
      ['GET', '/items/42/notes'],
    ]) {
      const response = await fetch(`${host.url}${url}`, { method });
      assert.equal(response.status, 404, `${method} ${url}`);
      assert.equal(await response.text(), '');
    }
  });

  test('requires the function key for authLevel function: 401 with an empty body, then 200 with the key', async () => {
    const missing = await fetch(`${host.url}/api/secured`);
    assert.equal(missing.status, 401);
    assert.equal(await missing.text(), '');
    const wrong = await fetch(`${host.url}/api/secured`, { headers: { 'x-functions-key': 'not-the-key' } });
    assert.equal(wrong.status, 401);
    assert.equal(await wrong.text(), '');
    const withHeader = await fetch(`${host.url}/api/secured`, { headers: { 'x-functions-key': functionKey } });
    assert.equal(withHeader.status, 200);
    assert.equal(await withHeader.text(), 'inside');
    const withCode = await fetch(`${host.url}/api/secured?code=${encodeURIComponent(functionKey)}`);
    assert.equal(withCode.status, 200);
    await waitForExecuted(host.output, 'secured', { count: 2 }); // the two that ran, up to their last line
    assert.doesNotMatch(host.output(), new RegExp(functionKey));
  });

  test('refuses a body over 100 MiB with 413 before reading it', async () => {
    const { port } = new URL(host.url);
    const statusLine = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /api/items/1/notes HTTP/1.1\r\nHost: test\r\nContent-Length: 104857601\r\n\r\nstart of a huge body');
      });
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('close', () => resolve(received.split('\r\n')[0]));
      socket.on('error', reject);
    });
    assert.equal(statusLine, 'HTTP/1.1 413 Payload Too Large');
  });

  test('a client that closes the connection half way through its body is no error: the function does not run', async () => {
    const executedBefore = host.output().match(/\[echo\].*echo received/g)?.length ?? 0;
    const { port } = new URL(host.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /api/items/5/notes HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\nonly the start', () => socket.destroy());
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    await waitFor('the host to note the early close', () =>
      /information \[host\] POST \/api\/items\/5\/notes: the client closed the connection/.test(host.output()),
    );
    assert.doesNotMatch(host.output(), /error \[host\] Request handling failed/);
    assert.equal(host.output().match(/\[echo\].*echo received/g)?.length ?? 0, executedBefore, 'the function never saw half a body');
  });

  test('a throwing handler gives 500 with an empty body and the error in the log', async () => {
    const response = await fetch(`${host.url}/api/explodes`);
    assert.equal(response.status, 500);
    assert.equal(await response.text(), '');
    await waitFor('the failure in the log', () => host.output().includes('deliberate failure with internal detail'));
  });

  test('a handler returning nothing gives an empty 200, as in Azure', async () => {
    const response = await fetch(`${host.url}/api/nothing`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '');
  });

  test('a queue function receives the JSON message and the trigger metadata', async () => {
    const queue = queues.getQueueClient(receiveQueue); // created by the host at start-up
    const sent = await queue.sendMessage(JSON.stringify({ Kind: 'greeting', count: 1 }));
    const received = await waitFor('the message to arrive', async () => (await readProbe(host)).received.find((r) => r.triggerMetadata?.id === sent.messageId));
    assert.deepEqual(received.message, { Kind: 'greeting', count: 1 });
    const metadata = received.triggerMetadata ?? {};
    assert.equal(metadata.dequeueCount, 1);
    // QueueTrigger is the text; the library JSON-parses it and camel-cases its keys, as in Azure
    assert.deepEqual(metadata.queueTrigger, { kind: 'greeting', count: 1 });
    assert.equal(typeof metadata.popReceipt, 'string');
    const dotNetUtc = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/;
    assert.match(String(metadata.insertionTime), dotNetUtc);
    assert.match(String(metadata.expirationTime), dotNetUtc);
    assert.match(String(metadata.nextVisibleTime), dotNetUtc);
    assert.deepEqual(Object.keys(metadata.sys as object).sort(), ['methodName', 'randGuid', 'utcNow']);
    // deleted after success
    await waitFor('the message to be deleted', async () => (await queue.getProperties()).approximateMessagesCount === 0);
    const state = await readProbe(host);
    assert.ok(state.preInvocationHooks >= 1 && state.postInvocationHooks >= 1);
  });

  test('a failing queue message is retried and after maxDequeueCount moves to the poison queue', async () => {
    const queue = queues.getQueueClient('always-fails');
    const poison = queues.getQueueClient('always-fails-poison');
    const text = JSON.stringify({ attempt: 'to fail' });
    await queue.sendMessage(text);
    const poisoned = await waitFor('the poison message', async () => {
      if (!(await poison.exists())) return undefined;
      const peeked = await poison.peekMessages();
      return peeked.peekedMessageItems[0];
    });
    assert.equal(poisoned.messageText, text);
    assert.deepEqual((await readProbe(host)).failingAttempts, [1, 2, 3]);
    await waitFor('the original to be deleted', async () => (await queue.getProperties()).approximateMessagesCount === 0);
  });

  test('runs a batch in parallel but never more than batchSize + newBatchThreshold at once', async () => {
    const queue = queues.getQueueClient('parallel-work');
    const total = 20;
    for (let i = 0; i < total; i++) await queue.sendMessage(JSON.stringify({ i }));
    const state = await waitFor(
      'all parallel messages to finish',
      async () => {
        const current = await readProbe(host);
        return current.parallel.finished >= total ? current : undefined;
      },
      40_000,
    );
    assert.ok(state.parallel.maxRunning > 1, `max concurrency ${state.parallel.maxRunning}`);
    assert.ok(state.parallel.maxRunning <= 4 + 2, `max concurrency ${state.parallel.maxRunning}`);
  });
});

describe('a host with default queue settings (base64 messages), then stopped', FILE_TIMEOUT, () => {
  const workDir = makeTempDir('relay-stop-');
  const terminateMarker = path.join(workDir, 'terminated');
  const receiveQueueName = 'base64-received';
  let host: HostProcess;

  before(async () => {
    const appRoot = writeFixtureApp('app/*.js', { version: '2.0', extensions: { queues: { maxPollingInterval: '00:00:00.500' } } });
    host = await spawnHost(appRoot, {
      AzureWebJobsStorage: azurite.connectionString,
      FIXTURE_RECEIVE_QUEUE: receiveQueueName,
      FIXTURE_TERMINATE_MARKER: terminateMarker,
    });
  });

  after(async () => {
    await host.stop();
  });

  test('decodes base64 messages, and sends text that is not base64 to the poison queue unprocessed', async () => {
    const queue = queues.getQueueClient(receiveQueueName);
    const sent = await queue.sendMessage(Buffer.from(JSON.stringify({ encoded: 'yes' })).toString('base64'));
    const received = await waitFor('the decoded message', async () => (await readProbe(host)).received.find((r) => r.triggerMetadata?.id === sent.messageId));
    assert.deepEqual(received.message, { encoded: 'yes' });

    await queue.sendMessage('this is not base64!');
    const poison = queues.getQueueClient(`${receiveQueueName}-poison`);
    const poisoned = await waitFor('the undecodable message in the poison queue', async () =>
      (await poison.exists()) ? (await poison.peekMessages()).peekedMessageItems[0] : undefined,
    );
    assert.equal(poisoned.messageText, 'this is not base64!');
    assert.equal((await readProbe(host)).received.length, 1, 'the function never saw it');
  });

  test('stop waits for a running invocation, completes its message and runs appTerminate hooks', async () => {
    const queue = queues.getQueueClient('gated-work');
    const gate = path.join(workDir, 'gate');
    const done = path.join(workDir, 'done');
    await queue.sendMessage(Buffer.from(JSON.stringify({ gate, done })).toString('base64'));
    await waitFor('the gated invocation to start', async () => (await readProbe(host)).gatedStarted === 1);

    host.child.kill('SIGTERM');
    await waitFor('the host to begin stopping', () => host.output().includes('Stopping: no new work is taken'));
    assert.equal(host.child.exitCode, null, 'the host must still be waiting for the invocation');
    writeFileSync(gate, 'open');

    const { code } = await host.exited;
    assert.equal(code, 0);
    assert.ok(existsSync(done), 'the invocation ran to completion');
    assert.ok(existsSync(terminateMarker), 'the appTerminate hook ran');
    assert.equal((await queue.getProperties()).approximateMessagesCount, 0, 'its message was deleted');
    assert.match(host.output(), /\[gated\].*Executed \(Succeeded/);
  });
});

describe('a host with functions disabled by app settings', FILE_TIMEOUT, () => {
  let host: HostProcess;
  const disabledQueue = 'disabled-receive';

  before(async () => {
    const appRoot = writeFixtureApp('app/*.js', { version: '2.0', extensions: { http: { routePrefix: 'api' }, queues: { messageEncoding: 'none' } } });
    host = await spawnHost(appRoot, {
      AzureWebJobsStorage: azurite.connectionString,
      RELAY_LOCAL_FUNCTION_KEY: functionKey,
      FIXTURE_RECEIVE_QUEUE: disabledQueue,
      'AzureWebJobs.receive.Disabled': 'true',
      AzureWebJobs_secured_Disabled: '1',
      'AzureWebJobs.echo.Disabled': 'false',
    });
  });

  after(async () => {
    await host.stop();
  });

  test('a disabled queue function is never polled: the host does not even create its queue', async () => {
    // listeners start (creating their queues) before the host reports that it listens
    assert.equal(await queues.getQueueClient(disabledQueue).exists(), false);
    assert.match(host.output(), /Function "receive" is disabled/);
  });

  test('a disabled HTTP function answers 404; the others, and one set to false, still answer', async () => {
    const secured = await fetch(`${host.url}/api/secured`, { headers: { 'x-functions-key': functionKey } });
    assert.equal(secured.status, 404);
    assert.match(host.output(), /Function "secured" is disabled/);
    assert.equal((await fetch(`${host.url}/api/probe/state`)).status, 200);
    assert.equal((await fetch(`${host.url}/api/items/1/notes`, { method: 'POST', body: 'x' })).status, 201);
    assert.doesNotMatch(host.output(), /Function "echo" is disabled/);
  });
});

describe('a host that cannot start', FILE_TIMEOUT, () => {
  test('exits 1 with the message of an entry point that throws on import', async () => {
    const appRoot = writeFixtureApp('startup/throwsOnImport.js', { version: '2.0' });
    const { code, output } = await runFailingHost(appRoot, { AzureWebJobsStorage: azurite.connectionString, FIXTURE_REQUIRED_SETTING: 'bad' });
    assert.equal(code, 1);
    assert.match(
      output,
      /Function host failed to start: Unable to load entry point "[^"]*throwsOnImport\.js": Invalid relay settings:\n {2}- FIXTURE_REQUIRED_SETTING is "bad"/,
    );
    assert.doesNotMatch(output, /Function host listening/);
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
  });

  test('exits 1 naming the setting when a queue name expression does not resolve', async () => {
    const appRoot = writeFixtureApp('startup/unresolvedQueueName.js', { version: '2.0' });
    const { code, output } = await runFailingHost(appRoot, { AzureWebJobsStorage: azurite.connectionString, FIXTURE_MISSING_QUEUE_SETTING: '' });
    assert.equal(code, 1);
    assert.match(output, /FIXTURE_MISSING_QUEUE_SETTING/);
    assert.match(output, /does not resolve to a value/);
  });
});
