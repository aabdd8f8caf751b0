// The suppression list's operator use-cases against the in-memory ports: answers, what they write,
// and that bad input and storage failures are the named errors and change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SuppressionEntry } from '../../src/core/suppression';
import { NotFoundError, StorageUnavailableError, UnsupportedMediaTypeError, ValidationError } from '../../src/errors';
import { deleteSuppression, getSuppression, listSuppressions, putSuppression } from '../../src/relay/suppressionList';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const NOW = new Date('2026-03-01T10:00:00.000Z');

function json(body: unknown) {
  return { contentType: 'application/json', body: Buffer.from(JSON.stringify(body)) };
}

function entry(changes: Partial<SuppressionEntry> = {}): SuppressionEntry {
  return {
    address: 'gone@example.net',
    scope: 'all',
    reason: '550 5.1.1 user unknown',
    category: 'invalid-recipient',
    source: 'bounce',
    createdAt: new Date('2026-02-01T00:00:00Z'),
    expiresAt: new Date('2026-03-03T00:00:00Z'),
    messageId: 'm-1',
    ...changes,
  };
}

test('get: the entry for every sender first, every live entry of the address beside it', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  relay.suppressions.seed(entry({ scope: 'example.org', source: 'unsubscribe', category: undefined, reason: 'one-click', expiresAt: undefined }));
  relay.suppressions.seed(entry());
  relay.suppressions.seed(entry({ scope: 'example.com', expiresAt: NOW }));
  const view = await getSuppression(relay.deps, 'Gone@Example.net', []);
  assert.deepEqual(
    { ...view, entries: undefined },
    {
      address: 'gone@example.net',
      scope: 'all',
      reason: '550 5.1.1 user unknown',
      category: 'invalid-recipient',
      source: 'bounce',
      createdAt: '2026-02-01T00:00:00.000Z',
      expiresAt: '2026-03-03T00:00:00.000Z',
      messageId: 'm-1',
      entries: undefined,
    },
  );
  assert.deepEqual(
    view.entries.map((e) => [e.scope, e.source, e.expiresAt]),
    [
      ['all', 'bounce', '2026-03-03T00:00:00.000Z'],
      ['example.org', 'unsubscribe', null],
    ],
  );
  assert.deepEqual(relay.calls, ['suppressions.find']);
});

test('get: an address with no entry in force is 404', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  relay.suppressions.seed(entry({ expiresAt: NOW }));
  await assert.rejects(getSuppression(relay.deps, 'gone@example.net', []), NotFoundError);
  await assert.rejects(getSuppression(relay.deps, 'nobody@example.net', []), NotFoundError);
});

test('put: 201 for a new manual entry, 200 when it replaces one; an expired one counts as none', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  const first = await putSuppression(relay.deps, 'A+b@Example.net', [], json({ reason: 'asked by phone' }), new FakeLog());
  assert.deepEqual(first, {
    created: true,
    entry: {
      address: 'a+b@example.net',
      scope: 'all',
      reason: 'asked by phone',
      category: null,
      source: 'manual',
      createdAt: NOW.toISOString(),
      expiresAt: null,
      messageId: null,
    },
  });
  const again = await putSuppression(relay.deps, 'a+b@example.net', [], json({ reason: 'again', expiresAt: '2026-04-01T00:00:00Z' }), new FakeLog());
  assert.equal(again.created, false);
  assert.equal(again.entry.expiresAt, '2026-04-01T00:00:00.000Z');
  const scoped = await putSuppression(relay.deps, 'a+b@example.net', [], json({ reason: 'r', scope: 'example.org' }), new FakeLog());
  assert.equal(scoped.created, true);
  assert.equal(relay.suppressions.entries.size, 2);

  relay.suppressions.seed(entry({ expiresAt: NOW }));
  assert.equal((await putSuppression(relay.deps, 'gone@example.net', [], json({ reason: 'r' }), new FakeLog())).created, true);
});

test('delete: every entry of the address, or one scope; 404 when none was in force', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  relay.suppressions.seed(entry());
  relay.suppressions.seed(entry({ scope: 'example.org' }));
  relay.suppressions.seed(entry({ address: 'other@example.net' }));
  await deleteSuppression(relay.deps, 'gone@example.net', [['scope', 'example.org']], new FakeLog());
  assert.deepEqual([...relay.suppressions.entries.values()].map((e) => `${e.address} ${e.scope}`).sort(), ['gone@example.net all', 'other@example.net all']);
  await assert.rejects(deleteSuppression(relay.deps, 'gone@example.net', [['scope', 'example.org']], new FakeLog()), NotFoundError);
  await deleteSuppression(relay.deps, 'GONE@example.net', [], new FakeLog());
  await assert.rejects(deleteSuppression(relay.deps, 'gone@example.net', [], new FakeLog()), NotFoundError);
  assert.equal(relay.suppressions.entries.size, 1);

  relay.suppressions.seed(entry({ expiresAt: NOW }));
  await assert.rejects(deleteSuppression(relay.deps, 'gone@example.net', [], new FakeLog()), NotFoundError);
  assert.equal(relay.suppressions.entries.size, 1, 'the expired entry was removed all the same');
});

test('list: pages through with the token, filters by domain and source, leaves expired entries out', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  for (const a of ['a', 'b', 'c']) relay.suppressions.seed(entry({ address: `${a}@example.net` }));
  relay.suppressions.seed(entry({ address: 'd@example.org', source: 'manual' }));
  relay.suppressions.seed(entry({ address: 'e@example.net', expiresAt: NOW }));
  const first = await listSuppressions(relay.deps, [['limit', '2']]);
  assert.deepEqual(
    first.items.map((i) => i.address),
    ['a@example.net', 'b@example.net'],
  );
  assert.ok(first.continuationToken);
  const second = await listSuppressions(relay.deps, [
    ['limit', '2'],
    ['continuationToken', first.continuationToken],
  ]);
  assert.deepEqual(
    second.items.map((i) => i.address),
    ['c@example.net', 'd@example.org'],
  );
  const third = await listSuppressions(relay.deps, [
    ['limit', '2'],
    ['continuationToken', second.continuationToken!],
  ]);
  assert.deepEqual(third, { items: [], continuationToken: null });
  const byDomain = await listSuppressions(relay.deps, [['domain', 'Example.org']]);
  assert.deepEqual(
    byDomain.items.map((i) => i.address),
    ['d@example.org'],
  );
  const bySource = await listSuppressions(relay.deps, [['source', 'manual']]);
  assert.deepEqual(
    bySource.items.map((i) => i.address),
    ['d@example.org'],
  );
});

test('bad input is a ValidationError naming the field, and changes nothing', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  const refusals: [Promise<unknown>, string][] = [
    [getSuppression(relay.deps, 'not-an-address', []), 'address'],
    [getSuppression(relay.deps, 'a@example.net', [['scope', 'all']]), 'scope'],
    [putSuppression(relay.deps, 'a@b', [], json({ reason: 'r' }), new FakeLog()), 'address'],
    [putSuppression(relay.deps, 'a@example.net', [], json({ reason: 'r', expiresAt: '2020-01-01T00:00:00Z' }), new FakeLog()), 'expiresAt'],
    [putSuppression(relay.deps, 'a@example.net', [], { contentType: 'application/json', body: Buffer.from('{"reason": ') }, new FakeLog()), '(body)'],
    [
      putSuppression(relay.deps, 'a@example.net', [], { contentType: 'application/json', body: Buffer.from('{"reason": "a", "reason": "b"}') }, new FakeLog()),
      'reason',
    ],
    [deleteSuppression(relay.deps, 'a@example.net', [['scope', '*']], new FakeLog()), 'scope'],
    [listSuppressions(relay.deps, [['continuationToken', 'not-a-number']]), 'continuationToken'],
  ];
  for (const [refusal, field] of refusals) {
    await assert.rejects(refusal, (err: unknown) => err instanceof ValidationError && err.errors.some((e) => e.field === field), field);
  }
  await assert.rejects(
    putSuppression(relay.deps, 'a@example.net', [], { contentType: 'text/plain', body: Buffer.from('{"reason":"r"}') }, new FakeLog()),
    UnsupportedMediaTypeError,
  );
  assert.equal(relay.suppressions.entries.size, 0);
  assert.deepEqual(
    relay.calls.filter((c) => c !== 'suppressions.list'),
    [],
  );
});

test('storage down: 503 for each of them', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  for (const op of ['suppressions.find', 'suppressions.find', 'suppressions.find', 'suppressions.list']) relay.fail(op);
  await assert.rejects(getSuppression(relay.deps, 'a@example.net', []), StorageUnavailableError);
  await assert.rejects(putSuppression(relay.deps, 'a@example.net', [], json({ reason: 'r' }), new FakeLog()), StorageUnavailableError);
  await assert.rejects(deleteSuppression(relay.deps, 'a@example.net', [], new FakeLog()), StorageUnavailableError);
  await assert.rejects(listSuppressions(relay.deps, []), StorageUnavailableError);
});
