// Bad input to every HTTP endpoint of the relay, through the real functions in the local host against
// Azurite and the development smart host: the endpoint table is held against what the app registers
// (an endpoint without a row fails here), then refused credentials, hand-written malformed input and
// generated mutations (fast-check, fixed seed) per endpoint. None is answered 5xx; each gets the 4xx
// it documents (or the documented 2xx-and-ignored); afterwards every table, blob and queue is as it
// was and the smart host received nothing; and the host still relays a valid message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ADMIN_KEY, eventually, FUNCTION_KEY, type HttpAnswer, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { sendGridSigner } from '../support/sendGridSigning';
import { acsSignedHeadersAt } from '../support/acsSigning';
import { signUnsubscribeToken } from '../../src/core/unsubscribeToken';
import { LIMIT_BYTES, MAX_RECIPIENTS } from './badInputCorpus';
import { type Case, MALFORMED } from './endpointBadInputCorpus';
import { credentialCases } from './endpointBadInputCredentials';
import { type Generated, generatedRequest } from './endpointBadInputMutations';
import { SuspensionStore } from '../../src/storage/suspensionStore';
import { type Ask, ENDPOINTS, type Endpoint, type Fixtures, KNOWN_ADDRESS, PAUSED_DOMAIN, SENDGRID_API_KEY, SUSPENDED_DESTINATION } from './endpointTable';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

const SEED = 20261201;
const RUNS = 200;
const BATCH = 4; // requests in flight at once: RUNS * BATCH generated requests
const CONCURRENCY = 4;
const ACS_SECRET = 'acs-events-secret-for-the-bad-input-suite-0123';
const repoRoot = path.resolve(__dirname, '..', '..', '..');

const sendGrid = sendGridSigner();
let relay: RelayHarness;
let fixtures: Fixtures;

before(async () => {
  relay = await startRelayHarness({
    env: {
      RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY: sendGrid.publicKeySetting,
      RELAY_ACS_EVENTS_SECRET: ACS_SECRET,
      RELAY_SENDGRID_API_KEY: SENDGRID_API_KEY,
      RELAY_EVENT_MAX_AGE_SECONDS: '600',
      RELAY_MAX_RECIPIENTS: String(MAX_RECIPIENTS),
      RELAY_MAX_MESSAGE_BYTES: String(LIMIT_BYTES),
    },
  });
  // what bad input must not change: a sent message, a suppression entry and a paused sender
  const sent = await relay.send(message({ to: 'seeded@example.net' }));
  assert.equal(sent.status, 202, sent.text);
  await relay.waitForStatus(sent.body.id, (v) => v.recipients[0]?.status === 'sent');
  // the breaker writes the send's count within its refresh (5 s): settled before the snapshot, not during the bad input
  await eventually('the seeded send counted for the breaker', async () => {
    for await (const row of relay.clients.senders.listEntities()) if (row.partitionKey === 'example.jp' && row.rowKey?.startsWith('c|')) return true;
    return undefined;
  });
  const put = await relay.request('PUT', `/api/v1/suppressions/${KNOWN_ADDRESS}`, { key: ADMIN_KEY, body: { reason: 'the entry bad input must not change' } });
  assert.equal(put.status, 201, put.text);
  const pause = await relay.request('POST', `/api/v1/senders/${PAUSED_DOMAIN}/pause`, { key: ADMIN_KEY, body: { reason: 'paused before the bad input' } });
  assert.equal(pause.status, 200, pause.text);
  // a suspension of a name no policy has (so it holds nothing), written as the relay writes one
  const now = new Date();
  const suspension = { kind: 'destination', name: SUSPENDED_DESTINATION, reason: 'suspended before the bad input', source: 'manual' } as const;
  await new SuspensionStore(relay.clients.suspensions).put({ ...suspension, createdAt: now, until: new Date(now.getTime() + 86400_000) });
  const secret = relay.config.unsubscribeSecret;
  assert.ok(secret, 'the local defaults set RELAY_UNSUBSCRIBE_SECRET');
  const payload = { recipient: 'seeded@example.net', senderDomain: 'example.jp', messageId: sent.body.id, issuedAt: new Date() };
  fixtures = {
    messageId: sent.body.id,
    recipient: 'seeded@example.net',
    token: signUnsubscribeToken(payload, secret),
    forgedToken: signUnsubscribeToken(payload, 'a-secret-the-relay-does-not-hold-0123456789'),
    signed: (body) => sendGrid.signed(body),
    signedBy: (body, { other, timestamp }) => sendGrid.signed(body, { key: other ? sendGrid.otherKey : undefined, timestamp }),
    acsSecret: ACS_SECRET,
    dsn: readFileSync(path.join(repoRoot, 'test', 'fixtures', 'dsn', 'postfix-user-unknown.eml')),
    acsSigned: (method, at, body = '', { key = relay.config.dropIns.acsAccessKey!, date = new Date() } = {}) =>
      acsSignedHeadersAt(key, method, `${relay.url}${at}`, body, date),
  };
});
after(async () => {
  await relay?.stop();
});

/** Sends `ask` with the key its endpoint takes, unless it says which (or none). */
function send(ask: Ask, endpoint: Endpoint): Promise<HttpAnswer> {
  const ownKey = endpoint.caller === 'sender-key' ? FUNCTION_KEY : endpoint.caller === 'operator-key' ? ADMIN_KEY : null;
  return relay.request(ask.method, ask.path, { key: ask.key === undefined ? ownKey : ask.key, headers: ask.headers, body: ask.body });
}

const endpointNamed = (name: string): Endpoint => ENDPOINTS.find((e) => e.name === name) ?? assert.fail(`no endpoint ${name} in the table`);

/** The answer is one it may get, never 5xx; an answer with a body is the endpoint's error format. */
function assertAnswer(
  name: string,
  endpoint: Endpoint,
  ask: Ask,
  statuses: readonly number[],
  answer: HttpAnswer,
  expected: Pick<Case, 'field' | 'answer'> = {},
): void {
  const contentType = answer.headers.get('content-type');
  const label = `${endpoint.name}: ${name}: got ${answer.status} ${contentType} ${answer.text.slice(0, 300)}`;
  assert.ok(answer.status < 500, label);
  assert.ok(statuses.includes(answer.status), `expected ${statuses.join(' or ')}: ${label}`);
  if (answer.status < 300) {
    assert.ok(expected.answer, `a 2xx only where the endpoint documents it: ${label}`);
    assert.deepEqual(answer.body, expected.answer, label);
    return;
  }
  // the host's own refusals (no key, no route) come with an empty body, as Azure's do
  if (answer.text === '') {
    assert.ok(answer.status === 404 || (answer.status === 401 && endpoint.authLevel !== 'anonymous'), `an empty ${answer.status}: ${label}`);
    return;
  }
  if (endpoint.errors === 'acs') {
    const error = (answer.body as unknown as { error?: { code?: unknown; message?: unknown; details?: { target?: string }[] } }).error;
    assert.equal(contentType, 'application/json; charset=utf-8', label);
    assert.ok(typeof error?.code === 'string' && error.code === answer.headers.get('x-ms-error-code'), label);
    assert.ok(typeof error.message === 'string' && error.message !== '', label);
    if (expected.field !== undefined)
      assert.ok(
        error.details?.some((d) => d.target === expected.field),
        `names ${expected.field}: ${label}`,
      );
    return;
  }
  const asksJson = /json/i.test(ask.headers?.accept ?? '');
  if (endpoint.errors === 'page' && !asksJson) {
    assert.equal(contentType, 'text/html; charset=utf-8', label);
    assert.doesNotMatch(answer.text, /<script>/i, `nothing is echoed unescaped: ${label}`);
    return;
  }
  if (endpoint.errors === 'sendgrid') {
    const errors = (answer.body as unknown as { errors?: { message?: unknown; field?: unknown }[] }).errors;
    assert.equal(contentType, 'application/json', label);
    assert.ok(Array.isArray(errors) && errors.length > 0 && errors.every((e) => typeof e.message === 'string' && e.message !== ''), label);
    if (expected.field !== undefined)
      assert.ok(
        errors.some((e) => e.field === expected.field),
        `names ${expected.field}: ${label}`,
      );
    return;
  }
  assert.equal(contentType, 'application/problem+json', label);
  assert.match(answer.body.type, /^urn:azure-smtp-relay:problem:[a-z-]+$/, label);
  assert.equal(answer.body.status, answer.status, label);
  assert.ok(typeof answer.body.detail === 'string' && answer.body.detail !== '', label);
  const { field } = expected;
  if (field !== undefined) assert.ok(answer.body.errors?.some((e) => e.field === field) && answer.body.detail.includes(field), `names ${field}: ${label}`);
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** Sends every case, then fails listing each one that was not answered as it must be. */
async function assertAllAnswered(cases: readonly Case[]): Promise<void> {
  const failures: string[] = [];
  await inParallel(cases, CONCURRENCY, async (c) => {
    try {
      const endpoint = endpointNamed(c.endpoint);
      assertAnswer(c.name, endpoint, c, typeof c.status === 'number' ? [c.status] : c.status, await send(c, endpoint), c);
    } catch (error) {
      failures.push(error instanceof assert.AssertionError ? error.message.split('\n')[0] : String(error));
    }
  });
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length} were not answered as expected`);
}

/** Every table entity, blob and queued message, and what the smart host received. */
async function snapshot(): Promise<Record<string, unknown>> {
  for (const queue of [relay.clients.queue, relay.clients.poisonQueue]) {
    await eventually(`${queue.name} to be empty`, async () => ((await queue.getProperties()).approximateMessagesCount === 0 ? true : undefined));
  }
  const tables: Record<string, string[]> = {};
  for (const name of ['deliveries', 'events', 'idempotency', 'suppressions', 'senders', 'suspensions', 'messageIndex'] as const) {
    const rows: string[] = [];
    for await (const e of relay.clients[name].listEntities()) rows.push(JSON.stringify(e)); // with its etag: a write of the same values counts too
    tables[name] = rows.sort();
  }
  const blobs: string[] = [];
  for await (const b of relay.clients.bodies.listBlobsFlat()) blobs.push(`${b.name} ${b.properties.etag}`);
  const queues = await Promise.all([relay.clients.queue, relay.clients.poisonQueue].map(async (q) => (await q.getProperties()).approximateMessagesCount));
  return { tables, blobs: blobs.sort(), queues, smartHost: relay.smartHost.messages.length };
}

let beforeBadInput: Record<string, unknown>;
let logLinesBefore = 0;
const perEndpoint = new Map<string, number>();
const count = (endpoint: string) => perEndpoint.set(endpoint, (perEndpoint.get(endpoint) ?? 0) + 1);

test('the table holds every HTTP function the app registers, with its methods, route and authLevel, and no other', FILE_TIMEOUT, () => {
  // The app's entry points loaded as the local host loads them, and its route table built the same way.
  const script = `
    const path = require('path');
    const [core, routes, host, root] = process.argv.slice(1);
    const registry = require(core).installFunctionsCore();
    const { expandEntryPointPattern } = require(host);
    for (const file of expandEntryPointPattern(root, require(path.join(root, 'package.json')).main)) require(file);
    const prefix = require(path.join(root, 'host.json')).extensions?.http?.routePrefix ?? 'api';
    const table = require(routes).buildHttpRoutes(registry.functions.values(), prefix);
    console.log(JSON.stringify({ refused: table.refused, routes: table.routes.map((r) => ({ name: r.fn.metadata.name, methods: [...r.methods].sort(), route: r.route, authLevel: r.authLevel })) }));`;
  const local = path.join(repoRoot, 'dist', 'src', 'local');
  const r = spawnSync(
    process.execPath,
    ['-e', script, path.join(local, 'functionsCore.js'), path.join(local, 'httpRouteTable.js'), path.join(local, 'functionHost.js'), repoRoot],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        AzureWebJobsStorage: relay.azurite.connectionString,
        RELAY_ALLOWED_SENDER_DOMAINS: 'example.jp',
        SMARTHOST_HOST: 'smtp.example.net',
        SMARTHOST_USERNAME: 'relay@example.jp',
        SMARTHOST_PASSWORD: 'not-a-real-password',
      },
      timeout: 60_000,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const registered = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    refused: unknown[];
    routes: { name: string; methods: string[]; route: string; authLevel: string }[];
  };
  assert.deepEqual(registered.refused, []);
  const row = (e: { name: string; methods: readonly string[]; route: string; authLevel: string }) =>
    `${e.name} ${[...e.methods].sort().join(',')} ${e.route} ${e.authLevel}`;
  assert.deepEqual(
    registered.routes.map(row).sort(),
    ENDPOINTS.map(row).sort(),
    'a new HTTP function needs its row in endpointTable.ts, and with it its bad input here',
  );
  for (const e of ENDPOINTS) assert.equal(e.authLevel === 'admin', e.caller === 'operator-key', `${e.name}: only the operator's endpoints are admin`);
});

test('refused credentials on every endpoint: keys that are not its own, unsigned, forged and replayed', FILE_TIMEOUT, async () => {
  beforeBadInput = await snapshot();
  logLinesBefore = (await relay.loggedSoFar()).split('\n').length;
  const cases = credentialCases(fixtures);
  for (const c of cases) count(c.endpoint);
  await assertAllAnswered(cases);
});

test('malformed input per endpoint: addresses, bodies, media types, queries, domains, reports and ids', FILE_TIMEOUT, async () => {
  for (const c of MALFORMED) count(c.endpoint);
  await assertAllAnswered(MALFORMED);
});

test(`${RUNS * BATCH} generated bad requests over every endpoint (fast-check, seed ${SEED}), ${BATCH} at a time`, FILE_TIMEOUT, async () => {
  const seen = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(fc.array(generatedRequest(fixtures), { minLength: BATCH, maxLength: BATCH }), async (batch: Generated[]) => {
      const results = await Promise.allSettled(
        batch.map(async (g) => {
          seen.set(g.endpoint, (seen.get(g.endpoint) ?? 0) + 1);
          const endpoint = endpointNamed(g.endpoint);
          assertAnswer(`${g.kind} ${g.ask.method} ${g.ask.path.slice(0, 120)}`, endpoint, g.ask, g.status, await send(g.ask, endpoint));
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true, includeErrorInReport: true },
  );
  for (const e of ENDPOINTS) assert.ok((seen.get(e.name) ?? 0) >= 8, `only ${seen.get(e.name) ?? 0} generated for ${e.name}: ${JSON.stringify([...seen])}`);
  for (const [endpoint, n] of seen) perEndpoint.set(`${endpoint} (generated)`, n);
});

test('after all of it: every table, blob and queue as before, and the smart host received nothing', FILE_TIMEOUT, async () => {
  assert.ok(beforeBadInput, 'the credential test took the snapshot');
  assert.deepEqual(await snapshot(), beforeBadInput);
  const logged = (await relay.loggedSoFar()).split('\n').slice(logLinesBefore);
  assert.ok(logged.length > 500, `the host logged the bad input's invocations (${logged.length} lines)`);
  assert.deepEqual(
    logged.filter((line) => / (error|critical) \[/.test(line)),
    [],
    "bad input is the caller's problem, not an error of the host",
  );
  const [tokenPayload, tokenMac] = fixtures.token.split('.') as [string, string];
  for (const secret of [
    ACS_SECRET,
    SENDGRID_API_KEY,
    relay.config.dropIns.acsAccessKey!,
    ADMIN_KEY,
    FUNCTION_KEY,
    tokenPayload,
    tokenMac,
    fixtures.forgedToken.split('.')[1],
  ]) {
    assert.ok(!logged.some((line) => line.includes(secret)), `a secret or token reached the log: ${secret.slice(0, 6)}...`);
  }
  for (const e of ENDPOINTS) assert.ok((perEndpoint.get(e.name) ?? 0) > 0, `${e.name} has hand-written bad input`);
  console.log(`bad input per endpoint: ${JSON.stringify(Object.fromEntries([...perEndpoint].sort()))}`);
});

test("the host is healthy: each endpoint's valid request is taken, and a message is relayed", FILE_TIMEOUT, async () => {
  // the bases the bad input was made from are good requests: the refusals above were about the change
  for (const name of [
    'getMessageStatus',
    'listMessages',
    'listPoison',
    'listSuppressions',
    'getSuppression',
    'getSenderStatus',
    'listSuspensions',
    'unsubscribePage',
    'receiveAcsEvents',
    'receiveSendGridEvents',
    'getAcsEmailOperation',
  ]) {
    const endpoint = endpointNamed(name);
    const answer = await send(endpoint.valid(fixtures), endpoint);
    assert.equal(answer.status, 200, `${name}: ${answer.text.slice(0, 300)}`);
  }
  const view = await relay.status(fixtures.messageId);
  assert.equal(view.recipients[0]?.status, 'bounced', 'the valid SendGrid bounce applied to the seeded message');
  const answer = await relay.send(message({ to: 'still-works@example.net' }));
  assert.equal(answer.status, 202, answer.text);
  await relay.waitForStatus(answer.body.id, (v) => v.recipients[0]?.status === 'sent');
  assert.equal(relay.smartHost.messages.length, 2, 'the seeded message and this one');
});
