// The operators' list and the poison endpoints through the real local host, Azurite and the
// development smart host: one message sent, one bounced (`bounce-`), one deferred (`grey-`), listed
// with each filter and paged with tokens; a poison task listed and put back, and sent once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, eventually, FUNCTION_KEY, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { DeliveryQueue } from '../../src/storage/deliveryQueue';
import type { MessageListPage } from '../../src/relay/listMessages';
import type { PoisonListPage, RequeueAnswer } from '../../src/relay/poison';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

let relay: RelayHarness;
let ids: { sent: string; bounced: string; deferred: string };
let startedAt: string;

before(async () => {
  relay = await startRelayHarness();
  startedAt = new Date().toISOString();
  const send = async (to: string, tags: Record<string, string>) => {
    const answer = await relay.send(message({ to, subject: `件名 ${to}`, tags }));
    assert.equal(answer.status, 202, answer.text);
    return answer.body.id;
  };
  // one after the other, so that the order newest first is known
  const sent = await send('user@example.net', { campaign: 'winter' });
  const bounced = await send('bounce-someone@example.net', { campaign: 'winter', kind: 'news' });
  const deferred = await send('grey-later@example.net', { campaign: 'summer' });
  ids = { sent, bounced, deferred };
  await relay.waitForStatus(sent, (v) => v.recipients[0]?.status === 'sent');
  await relay.waitForStatus(bounced, (v) => v.recipients[0]?.status === 'bounced');
  await relay.waitForStatus(deferred, (v) => v.recipients[0]?.status === 'deferred');
});
after(async () => {
  await relay?.stop();
});

const list = (query = '') => relay.request<MessageListPage>('GET', `/api/v1/messages${query ? `?${query}` : ''}`, { key: ADMIN_KEY });

async function listed(query = ''): Promise<string[]> {
  const answer = await list(query);
  assert.equal(answer.status, 200, answer.text);
  return answer.body.items.map((i) => i.id);
}

test('newest first, with each message summarized from its rows', FILE_TIMEOUT, async () => {
  const answer = await list();
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(
    answer.body.items.map((i) => i.id),
    [ids.deferred, ids.bounced, ids.sent],
  );
  const bounced = answer.body.items[1];
  assert.equal(bounced.status, 'completed');
  assert.equal(bounced.subject, '件名 bounce-someone@example.net');
  assert.deepEqual(bounced.tags, { campaign: 'winter', kind: 'news' });
  assert.deepEqual(bounced.recipients, { count: 1, byStatus: { bounced: 1 } });
  assert.equal(answer.body.items[0].status, 'queued');
  assert.equal(answer.body.continuationToken, null);
});

test('each filter: status, recipient, from, tags, since and until', FILE_TIMEOUT, async () => {
  assert.deepEqual(await listed('status=completed'), [ids.bounced, ids.sent]);
  assert.deepEqual(await listed('status=queued'), [ids.deferred]);
  assert.deepEqual(await listed(`recipient=${encodeURIComponent('Bounce-Someone@example.net')}`), [ids.bounced]);
  assert.deepEqual(await listed('recipient=nobody%40example.net'), []);
  assert.deepEqual(await listed('from=app%40example.jp'), [ids.deferred, ids.bounced, ids.sent]);
  assert.deepEqual(await listed('from=other%40example.jp'), []);
  assert.deepEqual(await listed('tag.campaign=winter'), [ids.bounced, ids.sent]);
  assert.deepEqual(await listed('tag.campaign=winter&tag.kind=news'), [ids.bounced]);
  assert.deepEqual(await listed(`since=${encodeURIComponent(startedAt)}`), [ids.deferred, ids.bounced, ids.sent]);
  const sent = await relay.status(ids.sent);
  assert.deepEqual(await listed(`until=${encodeURIComponent(sent.createdAt)}`), [], 'until is exclusive');
  const [withRecipient] = (await list('recipient=bounce-someone%40example.net')).body.items;
  assert.equal(withRecipient?.recipient?.smtpCode, 550);
  assert.equal(withRecipient?.recipient?.category, 'invalid-recipient');
});

test('paged with tokens, one message a page; a bad token or parameter is a 400 naming it', FILE_TIMEOUT, async () => {
  const seen: string[] = [];
  let token: string | null = null;
  do {
    const answer: Awaited<ReturnType<typeof list>> = await list(`limit=1${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`);
    assert.equal(answer.status, 200, answer.text);
    seen.push(...answer.body.items.map((i) => i.id));
    token = answer.body.continuationToken;
  } while (token !== null && seen.length < 10);
  assert.deepEqual(seen, [ids.deferred, ids.bounced, ids.sent]);
  const first = (await list('limit=1')).body.continuationToken!;
  for (const [query, field] of [
    [`limit=1&continuationToken=${first.slice(1)}`, 'continuationToken'],
    [`limit=1&status=queued&continuationToken=${first}`, 'continuationToken'],
    ['status=bounced', 'status'],
    ['since=not-a-time', 'since'],
    ['limit=1000', 'limit'],
  ]) {
    const answer = await relay.request<{ errors: { field: string }[] }>('GET', `/api/v1/messages?${query}`, { key: ADMIN_KEY });
    assert.equal(answer.status, 400, query);
    assert.equal(answer.headers.get('content-type'), 'application/problem+json');
    assert.ok(
      answer.body.errors.some((e) => e.field === field),
      `${query}: ${answer.text}`,
    );
  }
});

test("a sender's key, or none, gets 401 from the list and the poison endpoints", FILE_TIMEOUT, async () => {
  for (const key of [FUNCTION_KEY, null]) {
    assert.equal((await relay.request('GET', '/api/v1/messages', { key })).status, 401);
    assert.equal((await relay.request('GET', '/api/v1/poison', { key })).status, 401);
    assert.equal((await relay.request('POST', '/api/v1/poison/requeue', { key, body: { all: true } })).status, 401);
  }
});

test('a poison task is listed, put back once the cause is gone, and sent once', FILE_TIMEOUT, async () => {
  await relay.smartHost.pause();
  let poisonId: string;
  const answer = await relay.send(message({ to: 'poisoned@example.net', subject: 'poison' }));
  try {
    await relay.waitForStatus(answer.body.id, (v) => v.recipients[0]?.status === 'deferred');
    // what the host does after maxDequeueCount failures: the task, with its body, on the poison queue
    const body = 'From: app@example.jp\r\nTo: poisoned@example.net\r\nSubject: poison\r\n\r\nput back\r\n';
    await new DeliveryQueue(relay.clients.poisonQueue).enqueue({ v: 2, messageId: answer.body.id, recipient: 'poisoned@example.net', attempt: 9, body });
    await relay.waitForStatus(answer.body.id, (v) => v.recipients[0]?.status === 'failed');
    const poison = await eventually('the poison task to be listed', async () => {
      const page = await relay.request<PoisonListPage>('GET', '/api/v1/poison', { key: ADMIN_KEY });
      return page.body.items.find((i) => i.messageId === answer.body.id);
    });
    assert.equal(poison.recipient, 'poisoned@example.net');
    assert.match(poison.lastResponse ?? '', /ECONNREFUSED/);
    poisonId = poison.id;
  } finally {
    await relay.smartHost.resume();
  }
  const requeued = await relay.request<RequeueAnswer>('POST', '/api/v1/poison/requeue', { key: ADMIN_KEY, body: { ids: [poisonId] } });
  assert.equal(requeued.status, 200, requeued.text);
  assert.deepEqual(requeued.body, { requeued: 1, ids: [poisonId], skipped: [], failed: [], more: false });
  await relay.waitForStatus(answer.body.id, (v) => v.recipients[0]?.status === 'sent');
  assert.equal(relay.smartHost.countFor('poisoned@example.net'), 1);
  const again = await relay.request<RequeueAnswer>('POST', '/api/v1/poison/requeue', { key: ADMIN_KEY, body: { all: true } });
  assert.deepEqual(again.body, { requeued: 0, ids: [], skipped: [], failed: [], more: false }, 'nothing is left to put back');
  const page = await relay.request<PoisonListPage>('GET', '/api/v1/poison', { key: ADMIN_KEY });
  assert.deepEqual(page.body, { items: [], continuationToken: null });
  assert.equal(relay.smartHost.countFor('poisoned@example.net'), 1, 'sent once, whatever came after');
});
