// Bad input through the real sendMessage function in the local host, against Azurite and the
// development smart host: a hand-written corpus and generated requests (fast-check, fixed seed). Each
// must be refused with a 4xx problem+json that names the problem; afterwards nothing may have been
// queued, stored or sent, and the host must still relay a valid message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { eventually, type HttpAnswer, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { type BadRequest, corpus, LIMIT_BYTES, MAX_RECIPIENTS, strictJsonCorpus, validMessage } from './badInputCorpus';
import { badRequest, MUTATION_KINDS, type MutationKind } from './badInputMutations';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

const SEED = 20261129;
const RUNS = 100;
const BATCH = 4; // requests in flight at once: RUNS * BATCH generated requests
const CONCURRENCY = 4;

let relay: RelayHarness;
const rcptSeen: string[] = [];

before(async () => {
  relay = await startRelayHarness({
    env: { RELAY_MAX_RECIPIENTS: String(MAX_RECIPIENTS), RELAY_MAX_MESSAGE_BYTES: String(LIMIT_BYTES) },
    smartHost: {
      rules: {
        onRcpt(address: string) {
          rcptSeen.push(address);
          return undefined;
        },
      },
    },
  });
});
after(async () => {
  await relay?.stop();
});

async function send(request: BadRequest): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...request.headers };
  const contentType = request.contentType === undefined ? 'application/json' : request.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  // Always bytes: fetch would add "text/plain" to a string body that has no Content-Type.
  const body = Buffer.isBuffer(request.body)
    ? request.body
    : Buffer.from(typeof request.body === 'string' ? request.body : JSON.stringify(request.body), 'utf8');
  return relay.request('POST', '/api/v1/messages', { body, headers });
}

/** The answer is a 4xx problem+json naming the problem the request was built with. */
function assertRefused(request: BadRequest, answer: HttpAnswer): void {
  const label = `${request.name}: got ${answer.status} ${answer.headers.get('content-type')} ${answer.text.slice(0, 600)}`;
  assert.ok(answer.status >= 400 && answer.status < 500, label);
  assert.equal(answer.status, request.expect.status, label);
  assert.equal(answer.headers.get('content-type'), 'application/problem+json', label);
  const problem = answer.body;
  assert.ok(problem !== null && typeof problem === 'object', label);
  assert.match(problem.type, /^urn:azure-smtp-relay:problem:[a-z-]+$/, label);
  assert.ok(typeof problem.title === 'string' && problem.title.length > 0, label);
  assert.equal(problem.status, answer.status, label);
  assert.ok(typeof problem.detail === 'string' && problem.detail.length > 0, label);
  assert.ok(Array.isArray(problem.errors), label);
  for (const e of problem.errors) assert.ok(typeof e.field === 'string' && e.field !== '' && typeof e.message === 'string' && e.message !== '', label);
  const { fields, says, maxAnswerBytes } = request.expect;
  if (maxAnswerBytes !== undefined) assert.ok(Buffer.byteLength(answer.text) <= maxAnswerBytes, `${Buffer.byteLength(answer.text)} bytes: ${label}`);
  if (answer.status === 400 || answer.status === 403) assert.ok(problem.errors.length > 0, label);
  if (fields) {
    assert.deepEqual([...new Set(problem.errors.map((e: { field: string }) => e.field))].sort(), [...fields].sort(), label);
    if (answer.status === 400) assert.ok(problem.detail.includes(fields[0]), `the detail names ${fields[0]}: ${label}`);
  }
  if (says) assert.match([problem.detail, ...problem.errors.map((e: { message: string }) => e.message)].join('\n'), says, label);
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

async function countEntities(table: 'deliveries' | 'events' | 'idempotency'): Promise<number> {
  let n = 0;
  for await (const _ of relay.clients[table].listEntities()) n++;
  return n;
}

interface Stored {
  rows: Record<'deliveries' | 'events' | 'idempotency', number>;
  blobs: number;
  rcpts: number;
  logLines: number;
}

/** What is stored, sent and logged before a test, once earlier tests' work is done. */
async function storedBefore(): Promise<Stored> {
  for (const queue of [relay.clients.queue, relay.clients.poisonQueue]) {
    await eventually(`${queue.name} to be empty`, async () => ((await queue.getProperties()).approximateMessagesCount === 0 ? true : undefined));
  }
  await relay.loggedSoFar();
  return {
    rows: { deliveries: await countEntities('deliveries'), events: await countEntities('events'), idempotency: await countEntities('idempotency') },
    blobs: await countBlobs(),
    rcpts: rcptSeen.length,
    logLines: relay.hostOutput.length,
  };
}

/**
 * After bad requests: nothing was queued, stored or sent, and the host logged `requests` Executed lines
 * of sendMessage and no error, warning or delivery.
 */
async function assertNothingLeftBehind(before: Stored, requests: number): Promise<void> {
  const logged = (await relay.loggedSoFar()).split('\n').slice(before.logLines);
  for (const queue of [relay.clients.queue, relay.clients.poisonQueue]) {
    assert.equal((await queue.getProperties()).approximateMessagesCount, 0, queue.name);
    assert.equal((await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length, 0, queue.name);
  }
  for (const table of ['deliveries', 'events', 'idempotency'] as const) assert.equal(await countEntities(table), before.rows[table], table);
  assert.equal(await countBlobs(), before.blobs, 'message blobs');
  assert.deepEqual(rcptSeen.slice(before.rcpts), [], 'the smart host saw no recipient');
  assert.equal(
    logged.filter((line) => / \[sendMessage\] \([0-9a-f-]{36}\) Executed /.test(line)).length,
    requests,
    'one Executed line per request the function ran for',
  );
  assert.deepEqual(
    logged.filter((line) => /\[relayDelivery\]|queued for \d+ recipient/.test(line)),
    [],
    'no delivery ran',
  );
  const complaints = logged.filter((line) => / (error|critical|warning) \[/.test(line));
  assert.deepEqual(complaints, [], "a bad request is the caller's problem, not an error of the host");
}

async function countBlobs(): Promise<number> {
  let blobs = 0;
  for await (const _ of relay.clients.bodies.listBlobsFlat()) blobs++;
  return blobs;
}

/** POSTs through a raw socket, for what fetch will not send; returns the status line. */
function rawPost(headerLines: string[], bodyStart: string): Promise<string> {
  const { port } = new URL(relay.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(['POST /api/v1/messages HTTP/1.1', 'Host: relay', ...headerLines, '', bodyStart].join('\r\n'));
    });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received.split('\r\n')[0]));
    socket.on('error', reject);
  });
}

/** Sends every request, then fails listing each one that was not refused as expected. */
async function assertAllRefused(requests: readonly BadRequest[]): Promise<void> {
  const failures: string[] = [];
  await inParallel(requests, CONCURRENCY, async (request) => {
    try {
      assertRefused(request, await send(request));
    } catch (error) {
      failures.push(error instanceof assert.AssertionError ? error.message.split('\n')[0] : String(error));
    }
  });
  assert.deepEqual(failures, [], `${failures.length} of ${requests.length} were not refused as expected`);
}

test(`the corpus: ${corpus.length} hand-written bad requests, each refused and named, nothing left behind`, FILE_TIMEOUT, async () => {
  const before = await storedBefore();
  await assertAllRefused(corpus);
  await assertNothingLeftBehind(before, corpus.length);
});

test('no or a wrong function key: 401 from the host, before the function runs (as in Azure: empty body)', FILE_TIMEOUT, async () => {
  // valid messages: were the key not checked, they would be queued, and the checks below would see them
  const before = await storedBefore();
  const body = Buffer.from(JSON.stringify(validMessage({ to: 'must-not-arrive@example.net' })));
  const attempts: [string, { key?: string | null; path?: string; headers?: Record<string, string> }][] = [
    ['no key', { key: null }],
    ['a wrong key', { key: 'not-the-key' }],
    ['an empty key', { key: '' }],
    ['the key in upper case', { key: 'TEST-FUNCTION-KEY' }],
    ['a prefix of the key', { key: 'test-function-ke' }],
    ['the key in a misspelt header', { key: null, headers: { 'x-function-key': 'test-function-key' } }],
    ['a wrong key in ?code=', { key: null, path: '/api/v1/messages?code=wrong' }],
  ];
  for (const [name, { key, path, headers }] of attempts) {
    const answer = await relay.request('POST', path ?? '/api/v1/messages', { body, key, headers: { 'content-type': 'application/json', ...headers } });
    assert.equal(answer.status, 401, name);
    assert.equal(answer.text, '', name);
  }
  await assertNothingLeftBehind(before, 0);
});

test('a declared body over 100 MiB: 413 from the host before it reads the body (its maxRequestBodySize)', FILE_TIMEOUT, async () => {
  const before = await storedBefore();
  const statusLine = await rawPost(
    ['x-functions-key: test-function-key', 'content-type: application/json', `content-length: ${100 * 1024 * 1024 + 1}`],
    '{"from":',
  );
  assert.equal(statusLine, 'HTTP/1.1 413 Payload Too Large');
  await assertNothingLeftBehind(before, 0);
});

test('a client that disconnects half way through its body leaves nothing behind', FILE_TIMEOUT, async () => {
  const before = await storedBefore();
  const { port } = new URL(relay.url);
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(
        'POST /api/v1/messages HTTP/1.1\r\nHost: relay\r\nx-functions-key: test-function-key\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"from":"app@example.jp",',
        () => socket.destroy(),
      );
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  // the host answers the next request, on a new connection
  const answer = await send({ name: 'after a disconnect', body: '[]', expect: { status: 400 } });
  assert.equal(answer.status, 400);
  await assertNothingLeftBehind(before, 1);
});

test(`${RUNS * BATCH} generated bad requests (fast-check, seed ${SEED}), ${BATCH} at a time`, FILE_TIMEOUT, async () => {
  const before = await storedBefore();
  const seen = new Map<MutationKind, number>();
  await fc.assert(
    fc.asyncProperty(fc.array(badRequest, { minLength: BATCH, maxLength: BATCH }), async (mutations) => {
      // allSettled: a failing batch still ends all its requests before fast-check runs the next one
      const results = await Promise.allSettled(
        mutations.map(async ({ kind, request }) => {
          seen.set(kind, (seen.get(kind) ?? 0) + 1);
          assertRefused(request, await send(request));
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }),
    { numRuns: RUNS, seed: SEED, endOnFailure: true },
  );
  await assertNothingLeftBehind(before, RUNS * BATCH);
  for (const kind of MUTATION_KINDS)
    assert.ok((seen.get(kind) ?? 0) >= 10, `only ${seen.get(kind) ?? 0} requests of kind ${kind}: ${JSON.stringify([...seen])}`);
});

test('the host still relays a valid message: 202, then sent', FILE_TIMEOUT, async () => {
  const answer = await relay.send(validMessage({ to: 'still-works@example.net', subject: 'After the bad input' }));
  assert.equal(answer.status, 202, answer.text);
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.deepEqual(
    view.recipients.map((r) => [r.address, r.status]),
    [['still-works@example.net', 'sent']],
  );
  assert.deepEqual(rcptSeen, ['still-works@example.net']);
  const raw = relay.smartHost.messages[0].raw.toString('utf8');
  assert.match(raw, /^Subject: After the bad input\r$/m);
  assert.doesNotMatch(raw, /victim@example\.net|polluted|^Bcc:/im, 'nothing from the bad requests leaked into a later message');
});

// Needs acceptMessage to parse with parseJsonBody (src/core/jsonBody.ts) instead of JSON.parse.
test('strict JSON: bytes that are not UTF-8 and names given twice are refused, and no body text reaches the log', FILE_TIMEOUT, async () => {
  const before = await storedBefore();
  await assertAllRefused(strictJsonCorpus);
  const canary = 'canary-7f3a91';
  const quoted = await send({ name: 'syntax error next to body text', body: `{"text": ${canary}}`, expect: { status: 400, fields: ['(body)'] } });
  assertRefused({ name: 'syntax error next to body text', body: '', expect: { status: 400, fields: ['(body)'], says: /not valid JSON/ } }, quoted);
  assert.doesNotMatch(quoted.text, new RegExp(canary), 'the answer says where, without quoting the body');
  assert.doesNotMatch(await relay.loggedSoFar(), new RegExp(canary), 'body text must never reach a log line');
  await assertNothingLeftBehind(before, strictJsonCorpus.length + 1);
});
