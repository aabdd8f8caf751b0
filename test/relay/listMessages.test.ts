// The operators' message list against the in-memory ports: newest first, each filter, paging with
// tokens (bound to their filters, sealed), the status read from the listed messages' rows only, and
// what is refused with 400 naming its parameter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptMessage } from '../../src/relay/acceptMessage';
import { listMessages, type MessageListPage } from '../../src/relay/listMessages';
import { StorageUnavailableError, ValidationError } from '../../src/errors';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const START = new Date('2026-12-01T08:30:00.000Z');
type Query = [string, string][];

/** Accepts one message a minute, oldest first; returns their ids in that order. */
async function accepted(relay: FakeRelay, messages: Record<string, unknown>[]): Promise<string[]> {
  const ids: string[] = [];
  for (const m of messages) {
    const body = Buffer.from(JSON.stringify({ from: 'app@example.com', to: 'user@example.net', subject: 'Hi', text: 'x', ...m }));
    ids.push((await acceptMessage(relay.deps, { contentType: 'application/json', body, idempotencyKey: null }, new FakeLog())).answer.id);
    relay.clock.advance(60_000);
  }
  return ids;
}

async function allPages(relay: FakeRelay, query: Query): Promise<{ ids: string[]; pages: MessageListPage[] }> {
  const pages: MessageListPage[] = [];
  let token: string | null = null;
  do {
    const page = await listMessages(relay.deps, token === null ? query : [...query, ['continuationToken', token]]);
    pages.push(page);
    token = page.continuationToken;
    assert.ok(pages.length < 50, 'the pages end');
  } while (token !== null);
  return { ids: pages.flatMap((p) => p.items.map((i) => i.id)), pages };
}

function fieldsOf(err: unknown): string[] {
  assert.ok(err instanceof ValidationError, String(err));
  return err.errors.map((e) => e.field);
}

test('newest first, in pages of `limit` with a token, across hours, to the end', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, START);
  const ids = await accepted(
    relay,
    Array.from({ length: 7 }, (_, i) => ({ subject: `n${i}` })),
  );
  relay.clock.advance(45 * 60_000); // the messages span 08:30 to 08:36; now is well into the next hour
  const { ids: listed, pages } = await allPages(relay, [['limit', '3']]);
  assert.deepEqual(listed, [...ids].reverse());
  assert.deepEqual(
    pages.map((p) => p.items.length),
    [3, 3, 1],
  );
  assert.equal(pages[2].continuationToken, null);
});

test('a summary: status, times, sender, subject, tags and the recipients by status', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, START);
  const [id] = await accepted(relay, [{ to: ['a@example.net', 'B@example.net'], subject: '件名 テスト', tags: { campaign: 'winter' } }]);
  const row = relay.deliveries.row(id, 'a@example.net')!;
  relay.clock.advance(1000);
  relay.deliveries.seed({ ...row, status: 'sent', updatedAt: relay.clock.now() });
  const page = await listMessages(relay.deps, []);
  assert.deepEqual(page, {
    items: [
      {
        id,
        status: 'queued',
        createdAt: START.toISOString(),
        updatedAt: relay.clock.now().toISOString(),
        from: 'app@example.com',
        subject: '件名 テスト',
        tags: { campaign: 'winter' },
        recipients: { count: 2, byStatus: { sent: 1, queued: 1 } },
      },
    ],
    continuationToken: null,
  });
});

test('filters: from, recipient (with its own state), tags, since and until, status', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, START);
  const [a, b, c, d] = await accepted(relay, [
    { tags: { campaign: 'winter', kind: 'news' } },
    { from: 'Other <other@example.com>', to: ['Known@example.net', 'x@example.net'] },
    { tags: { campaign: 'summer' } },
    { to: 'known@example.net', tags: { campaign: 'winter' } },
  ]);
  relay.deliveries.seed({ ...relay.deliveries.row(c, 'user@example.net')!, status: 'bounced', smtpCode: 550 });
  const ids = async (query: Query) => (await allPages(relay, query)).ids;
  assert.deepEqual(await ids([['from', 'OTHER@example.com']]), [b]);
  assert.deepEqual(await ids([['recipient', 'known@EXAMPLE.net']]), [d, b]);
  assert.deepEqual(await ids([['tag.campaign', 'winter']]), [d, a]);
  assert.deepEqual(
    await ids([
      ['tag.campaign', 'winter'],
      ['tag.kind', 'news'],
    ]),
    [a],
  );
  assert.deepEqual(
    await ids([
      ['since', new Date(START.getTime() + 60_000).toISOString()],
      ['until', new Date(START.getTime() + 180_000).toISOString()],
    ]),
    [c, b],
  );
  assert.deepEqual(await ids([['status', 'completed']]), [c]);
  assert.deepEqual(await ids([['status', 'queued']]), [d, b, a]);
  const [withRecipient] = (
    await listMessages(relay.deps, [
      ['recipient', 'known@example.net'],
      ['limit', '1'],
    ])
  ).items;
  assert.deepEqual(withRecipient?.recipient, { address: 'known@example.net', status: 'queued', smtpCode: null, response: null, category: null });
});

test('a status filter reads only the candidates, and a page that ran out of budget comes back short with a token', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, START);
  const ids = await accepted(
    relay,
    Array.from({ length: 10 }, () => ({})),
  );
  for (const id of ids.slice(1)) relay.deliveries.seed({ ...relay.deliveries.row(id, 'user@example.net')!, status: 'sent' });
  relay.messageIndex.maxPerPage = 2;
  relay.calls.length = 0;
  const first = await listMessages(relay.deps, [
    ['status', 'queued'],
    ['limit', '5'],
  ]);
  assert.deepEqual(first.items, [], 'three index pages of two, all completed');
  assert.notEqual(first.continuationToken, null);
  assert.equal(relay.calls.filter((c) => c === 'deliveries.listMessage').length, 6, 'one partition per examined message, no more');
  const { ids: found } = await allPages(relay, [
    ['status', 'queued'],
    ['limit', '5'],
  ]);
  assert.deepEqual(found, [ids[0]]);
});

test('an index row whose message has no rows (an accept that failed after indexing) is not listed', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, START);
  const [kept] = await accepted(relay, [{}]);
  await relay.messageIndex.add([queuedRow('0190f0e4-0000-7000-8000-000000000001', START)]);
  assert.deepEqual((await allPages(relay, [])).ids, [kept]);
});

test('a token is bound to its filters and sealed: changed, cut or moved to other filters, it is a 400', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, START);
  await accepted(relay, [{}, {}, {}]);
  const { continuationToken } = await listMessages(relay.deps, [['limit', '1']]);
  assert.ok(continuationToken);
  const [payload, seal] = continuationToken.split('.') as [string, string];
  const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), at: 0 })).toString('base64url');
  for (const [token, query] of [
    [`${edited}.${seal}`, [['limit', '1']]],
    [continuationToken.slice(0, -1), [['limit', '1']]],
    [`${payload}x.${seal}`, [['limit', '1']]],
    [
      continuationToken,
      [
        ['limit', '1'],
        ['from', 'app@example.com'],
      ],
    ],
    ['garbage', [['limit', '1']]],
  ] as [string, Query][]) {
    await assert.rejects(listMessages(relay.deps, [...query, ['continuationToken', token]]), (err) => fieldsOf(err).includes('continuationToken'));
  }
  // the limit may change between pages; the range the first page used holds, even as time goes on
  relay.clock.advance(3_600_000);
  await accepted(relay, [{}]);
  const next = await listMessages(relay.deps, [
    ['limit', '5'],
    ['continuationToken', continuationToken],
  ]);
  assert.equal(next.items.length, 2, 'the message accepted after the first page is not slipped into the second');
});

test('bad parameters are refused, each naming itself, and nothing is read', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, START);
  for (const [query, field] of [
    [[['status', 'sent']], 'status'],
    [[['limit', '0']], 'limit'],
    [[['limit', '201']], 'limit'],
    [[['since', 'yesterday']], 'since'],
    [[['until', '2026-13-01T00:00:00Z']], 'until'],
    [[['until', '2030-01-01T00:00:00Z']], 'until'],
    [
      [
        ['since', '2026-12-01T10:00:00Z'],
        ['until', '2026-12-01T09:00:00Z'],
      ],
      'since',
    ],
    [[['recipient', 'nobody']], 'recipient'],
    [[['from', 'a\r\nb@example.com']], 'from'],
    [[['tag.9x', 'y']], 'tag.9x'],
    [[['tag.a', '']], 'tag.a'],
    [[['colour', 'red']], 'colour'],
    [
      [
        ['limit', '1'],
        ['limit', '2'],
      ],
      'limit',
    ],
  ] as [Query, string][]) {
    await assert.rejects(listMessages(relay.deps, query), (err) => fieldsOf(err).includes(field), JSON.stringify(query));
  }
  assert.deepEqual(relay.calls, []);
});

test('storage failing while listing is a 503 StorageUnavailableError', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, START);
  await accepted(relay, [{}]);
  relay.fail('messageIndex.page');
  await assert.rejects(listMessages(relay.deps, []), StorageUnavailableError);
  relay.fail('deliveries.listMessage');
  await assert.rejects(listMessages(relay.deps, []), StorageUnavailableError);
});
