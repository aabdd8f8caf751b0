// Where the Azure host is stricter than a naive one, the local host must be too, or a production bug
// passes here: routes, keys, bodies without Content-Length and queue message JSON in the metadata.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { runFailingHost, spawnHost, waitFor, writeFixtureApp, type HostProcess } from './hostFixtures';
import type { probe as fixtureProbe } from './fixtures/app/probe';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const hostKey = 'fixture-host-key';
const adminKey = 'fixture-admin-key';
const perFunctionKey = 'fixture-per-function-key';

let azurite: RunningAzurite;

before(async () => {
  azurite = await startAzurite({ inMemory: true });
});
after(async () => {
  await azurite?.stop();
});

function fixtureApp(): string {
  return writeFixtureApp('app/*.js', {
    version: '2.0',
    extensions: { http: { routePrefix: 'api' }, queues: { messageEncoding: 'none', maxPollingInterval: '00:00:00.500' } },
  });
}

describe('a host with keys of all three kinds', FILE_TIMEOUT, () => {
  let host: HostProcess;

  before(async () => {
    host = await spawnHost(fixtureApp(), {
      AzureWebJobsStorage: azurite.connectionString,
      FIXTURE_RECEIVE_QUEUE: 'rules-receive',
      RELAY_LOCAL_FUNCTION_KEY: hostKey,
      RELAY_LOCAL_ADMIN_KEY: adminKey,
      RELAY_LOCAL_FUNCTION_KEYS: JSON.stringify({ perFunction: perFunctionKey }),
    });
  });
  after(async () => {
    await host.stop();
  });

  const get = async (path: string, key?: string, via: 'header' | 'code' = 'header') => {
    const url = via === 'code' && key !== undefined ? `${host.url}${path}?code=${encodeURIComponent(key)}` : `${host.url}${path}`;
    const response = await fetch(url, { headers: via === 'header' && key !== undefined ? { 'x-functions-key': key } : {} });
    return { status: response.status, text: await response.text() };
  };

  test('authLevel admin opens with the master key only: the host key (RELAY_LOCAL_FUNCTION_KEY) gets 401', async () => {
    assert.equal((await get('/api/ops/status')).status, 401);
    assert.equal((await get('/api/ops/status', hostKey)).status, 401);
    assert.equal((await get('/api/ops/status', perFunctionKey)).status, 401);
    assert.deepEqual(await get('/api/ops/status', adminKey), { status: 200, text: 'admin inside' });
    assert.equal((await get('/api/ops/status', adminKey, 'code')).status, 200);
  });

  test("authLevel function opens with the host key, the master key or its own function key, not another function's", async () => {
    for (const key of [hostKey, adminKey]) assert.equal((await get('/api/secured', key)).status, 200, key);
    assert.equal((await get('/api/secured', perFunctionKey)).status, 401, 'a function key opens its own function only');
    for (const key of [perFunctionKey, hostKey, adminKey]) assert.deepEqual(await get('/api/per-function', key), { status: 200, text: 'per-function inside' });
    assert.equal((await get('/api/per-function', perFunctionKey, 'code')).status, 200);
    assert.equal((await get('/api/per-function', 'wrong')).status, 401);
  });

  test('the x-functions-key header takes precedence over ?code=', async () => {
    const response = await fetch(`${host.url}/api/secured?code=${hostKey}`, { headers: { 'x-functions-key': 'wrong' } });
    assert.equal(response.status, 401);
    assert.doesNotMatch(host.output(), new RegExp(`${hostKey}|${adminKey}|${perFunctionKey}`), 'no key reaches the log');
  });

  test("a route starting with admin or runtime, or repeating another function's route and method, does not load", async () => {
    assert.equal((await get('/api/administration/stats')).status, 404);
    assert.equal((await get('/api/runtime/info')).status, 404);
    assert.match(host.output(), /Function "reservedAdmin" is in error and does not load: The specified route conflicts with one or more built in routes\./);
    assert.match(host.output(), /Function "reservedRuntime" is in error and does not load/);
    assert.deepEqual(await get('/api/dup/same'), { status: 200, text: 'first' });
    const post = await fetch(`${host.url}/api/dup/same`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 404, 'the refused function answers for none of its methods');
    assert.match(
      host.output(),
      /Function "duplicateSecond" is in error and does not load: The route specified conflicts with the route defined by function 'duplicateFirst'\./,
    );
  });

  test('overlapping templates are matched in function-name order, not by specificity', async () => {
    assert.deepEqual(await get('/api/overlap/special'), { status: 200, text: 'alpha special' });
  });

  test('an encoded slash in a route value answers 404', async () => {
    assert.deepEqual(await get('/api/overlap/a%20b'), { status: 200, text: 'alpha a b' });
    assert.equal((await get('/api/overlap/a%2Fb')).status, 404);
  });

  test('a chunked body (no Content-Length) reaches the function as no body at all', async () => {
    const { port } = new URL(host.url);
    const chunked = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/body-length', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.write('{"half":');
      req.end('"and half"}');
    });
    assert.deepEqual(JSON.parse(chunked), { received: '', contentLength: null });
    const withLength = await fetch(`${host.url}/api/body-length`, { method: 'POST', body: '{"whole":true}' });
    assert.deepEqual(await withLength.json(), { received: '{"whole":true}', contentLength: '14' });
  });

  test("a queue message's JSON properties overwrite the trigger metadata, case-insensitively", async () => {
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient('rules-receive');
    const sent = await queue.sendMessage(JSON.stringify({ ID: 'not-the-message-id', dequeueCount: 99, Extra: { Nested: 1 }, sys: 'payload' }));
    const received = await waitFor('the message', async () => {
      const state = (await (await fetch(`${host.url}/api/probe/state`)).json()) as typeof fixtureProbe;
      return state.received.find((r) => (r.message as { ID?: string }).ID === 'not-the-message-id');
    });
    const metadata = received.triggerMetadata ?? {};
    assert.equal(metadata.id, 'not-the-message-id', 'the payload replaced the queue message id');
    assert.notEqual(metadata.id, sent.messageId);
    assert.equal(metadata.dequeueCount, 99);
    assert.deepEqual(metadata.extra, { nested: 1 });
    assert.equal(typeof metadata.popReceipt, 'string', 'what the payload does not name stays');
    assert.deepEqual(Object.keys(metadata.sys as object).sort(), ['methodName', 'randGuid', 'utcNow'], 'the host adds sys last');
  });
});

describe('a host that refuses its keys or routes at start-up', FILE_TIMEOUT, () => {
  const baseEnv = () => ({ AzureWebJobsStorage: azurite.connectionString, FIXTURE_RECEIVE_QUEUE: 'rules-refused' });

  test('the master key may not equal the host key', async () => {
    const { code, output } = await runFailingHost(fixtureApp(), {
      ...baseEnv(),
      RELAY_LOCAL_FUNCTION_KEY: 'shared-key-q7',
      RELAY_LOCAL_ADMIN_KEY: 'shared-key-q7',
    });
    assert.equal(code, 1);
    assert.match(output, /RELAY_LOCAL_ADMIN_KEY equals RELAY_LOCAL_FUNCTION_KEY/);
    assert.doesNotMatch(output, /shared-key-q7/, 'the key is not printed');
  });

  test('per-function keys must be JSON naming functions of the app', async () => {
    const unknown = await runFailingHost(fixtureApp(), { ...baseEnv(), RELAY_LOCAL_FUNCTION_KEYS: '{"noSuchFunction": "k"}' });
    assert.equal(unknown.code, 1);
    assert.match(unknown.output, /RELAY_LOCAL_FUNCTION_KEYS names "noSuchFunction", which is not a function of this app/);
    const malformed = await runFailingHost(fixtureApp(), { ...baseEnv(), RELAY_LOCAL_FUNCTION_KEYS: 'perFunction=k' });
    assert.equal(malformed.code, 1);
    assert.match(malformed.output, /RELAY_LOCAL_FUNCTION_KEYS must be a JSON object/);
  });

  test('a route with a leading "/" stops the whole host, as in Azure', async () => {
    const { code, output } = await runFailingHost(writeFixtureApp('startup/leadingSlashRoute.js', { version: '2.0' }), baseEnv());
    assert.equal(code, 1);
    assert.match(output, /Function "leadingSlash" has the route "\/v1\/things", which starts with "\/"/);
  });
});
