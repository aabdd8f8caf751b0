// Applying upstream events against the in-memory ports: each verdict, each way of matching, the
// race with a send whose record is late, duplicates, and events that match nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { verpAddress } from '../../src/core/verp';
import { type DeliveryRow, RowChangedError } from '../../src/relay/ports';
import { applyUpstreamEvents, type UpstreamEvent } from '../../src/relay/upstreamEvents';
import { FakeLog, FakeRelay } from '../support/fakes';
import { StorageUnavailableError } from '../../src/errors';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const START = new Date('2026-03-01T10:00:00.000Z');
const RECIPIENT = 'rcpt@example.net';

function sentRow(messageId: string, changes: Partial<DeliveryRow> = {}): DeliveryRow {
  return {
    messageId,
    recipientKey: RECIPIENT,
    address: 'Rcpt@example.net',
    status: 'sent',
    attempts: 1,
    smtpCode: 250,
    enhancedCode: '2.0.0',
    response: '250 2.0.0 Ok: queued as 4BX1',
    upstreamId: '4BX1',
    from: 'app@example.com',
    subject: 'hi',
    tags: {},
    queuedAt: START,
    updatedAt: START,
    sentAt: START,
    ...changes,
  };
}

function relayWith(changes: Partial<DeliveryRow> = {}, settings: Record<string, string> = {}) {
  const relay = new FakeRelay(settings, START);
  const id = newMessageId(START);
  relay.deliveries.seed(sentRow(id, changes));
  relay.clock.advance(3_600_000);
  const row = () => relay.deliveries.row(id, RECIPIENT)!;
  return { relay, id, row, log: new FakeLog() };
}

function event(id: string, changes: Partial<UpstreamEvent> = {}): UpstreamEvent {
  return {
    source: 'sendgrid',
    type: 'bounce',
    smtpCode: 550,
    enhancedCode: '5.1.1',
    response: '550 5.1.1 <rcpt@example.net>: Recipient address rejected: User unknown',
    eventId: 'sg-event-1',
    recipient: 'RCPT@example.net',
    internetMessageId: `<${id}@example.com>`,
    at: new Date(START.getTime() + 1_800_000),
    ...changes,
  };
}

test('a late bounce of a sent recipient: bounced with its category, recorded, suppressed, counted', FILE_TIMEOUT, async () => {
  const { relay, id, row, log } = relayWith();
  const summary = await applyUpstreamEvents(relay.deps, [event(id)], log);
  const calls = [...relay.calls];
  assert.deepEqual(summary, { applied: 1, unchanged: 0, unmatched: 0 });
  const bounced = row();
  assert.equal(bounced.status, 'bounced');
  assert.equal(bounced.category, 'invalid-recipient');
  assert.equal(bounced.smtpCode, 550);
  assert.equal(bounced.enhancedCode, '5.1.1');
  assert.match(bounced.response!, /^sendgrid bounce: 550 5\.1\.1 .*User unknown/);
  assert.equal(bounced.attempts, 1, 'a late bounce is no new attempt');
  assert.deepEqual(bounced.updatedAt, relay.clock.now());
  assert.deepEqual(
    relay.events.recorded.map((e) => [e.row.status, e.row.category]),
    [['bounced', 'invalid-recipient']],
  );
  const [entry] = await relay.suppressions.find(RECIPIENT);
  assert.equal(entry?.scope, 'all');
  assert.equal(entry?.source, 'bounce');
  assert.equal(entry?.messageId, id);
  assert.deepEqual(relay.senders.counts.get('example.com'), { attempts: 0, hardBounces: 1, complaints: 0 });
  // Its storage cost: four calls, and the suppression list's two (the breaker counts in memory).
  assert.deepEqual(calls, ['deliveries.get', 'appliedEvents.firstTime', 'deliveries.replace', 'events.record', 'suppressions.find', 'suppressions.put']);
});

test('a late bounce that is not about the address bounces without suppressing or counting a hard bounce', FILE_TIMEOUT, async () => {
  const { relay, id, row, log } = relayWith();
  const blocked = event(id, { type: 'blocked', smtpCode: 550, enhancedCode: '5.7.1', response: '550 5.7.1 Message rejected due to content policy' });
  assert.deepEqual(await applyUpstreamEvents(relay.deps, [blocked], log), { applied: 1, unchanged: 0, unmatched: 0 });
  assert.equal(row().status, 'bounced');
  assert.notEqual(row().category, 'invalid-recipient');
  assert.deepEqual(await relay.suppressions.find(RECIPIENT), []);
  assert.equal(relay.senders.counts.get('example.com')?.hardBounces ?? 0, 0);
});

test('a complaint keeps the status, suppresses for everyone and counts once, whatever reports it', FILE_TIMEOUT, async () => {
  const { relay, id, row, log } = relayWith();
  const complaint = event(id, { type: 'spamreport', smtpCode: undefined, enhancedCode: undefined, response: undefined, eventId: 'sg-1' });
  assert.deepEqual(await applyUpstreamEvents(relay.deps, [complaint], log), { applied: 1, unchanged: 0, unmatched: 0 });
  assert.equal(row().status, 'sent');
  const [entry] = await relay.suppressions.find(RECIPIENT);
  assert.equal(entry?.source, 'complaint');
  assert.equal(entry?.category, 'complaint');
  assert.equal(entry?.scope, 'all');
  // the same complaint again under another id, and once more without any id
  const again = await applyUpstreamEvents(
    relay.deps,
    [
      { ...complaint, eventId: 'sg-2' },
      { ...complaint, eventId: undefined },
    ],
    log,
  );
  assert.deepEqual(again, { applied: 0, unchanged: 2, unmatched: 0 });
  assert.equal(relay.senders.counts.get('example.com')?.complaints, 1);
});

test('an unsubscribe suppresses for the sender domain only and leaves the row', FILE_TIMEOUT, async () => {
  const { relay, id, row, log } = relayWith();
  const before = row();
  const unsubscribe = event(id, { type: 'group_unsubscribe', smtpCode: undefined, enhancedCode: undefined, response: undefined });
  assert.deepEqual(await applyUpstreamEvents(relay.deps, [unsubscribe], log), { applied: 1, unchanged: 0, unmatched: 0 });
  assert.deepEqual(row(), before);
  const entries = await relay.suppressions.find(RECIPIENT);
  assert.deepEqual(
    entries.map((e) => [e.scope, e.source, e.messageId]),
    [['example.com', 'unsubscribe', id]],
  );
  assert.equal(relay.senders.counts.size, 0);
});

test('delivered, deferred and engagement events change nothing and cost no storage call', FILE_TIMEOUT, async () => {
  const { relay, id, row, log } = relayWith({ status: 'bounced', category: 'invalid-recipient' });
  const before = row();
  const kinds = ['delivered', 'deferred', 'processed', 'open', 'click'];
  const summary = await applyUpstreamEvents(
    relay.deps,
    kinds.map((type, i) => event(id, { type, eventId: `e${i}`, smtpCode: undefined, enhancedCode: undefined })),
    log,
  );
  assert.deepEqual(summary, { applied: 0, unchanged: kinds.length, unmatched: 0 });
  assert.deepEqual(row(), before, 'a delivered report does not undo a bounce');
  assert.deepEqual(relay.calls, []);
});

test('an event that matches nothing changes nothing, is counted and logged', FILE_TIMEOUT, async () => {
  const { relay, row, log } = relayWith();
  const before = row();
  const strangers = [
    event(newMessageId(START)), // a message id of ours that has no such row
    event('not-ours', { internetMessageId: '<CAF=abc@mail.gmail.com>' }),
    event('x', { internetMessageId: undefined, upstreamId: 'UNKNOWN' }),
  ];
  assert.deepEqual(await applyUpstreamEvents(relay.deps, strangers, log), { applied: 0, unchanged: 0, unmatched: 3 });
  assert.deepEqual(row(), before);
  assert.deepEqual(await relay.suppressions.find(RECIPIENT), []);
  assert.match(log.text(), /warn: upstream event sendgrid bounce sg-event-1 for an address at example\.net: matched no recipient/);
  assert.ok(!/RCPT@/i.test(log.text()), 'the address of mail that is not ours is not logged');
  assert.ok(!relay.calls.includes('deliveries.replace'));
});

test('an event id is applied once: the second delivery of it matches but changes nothing', FILE_TIMEOUT, async () => {
  const { relay, id, log } = relayWith();
  await applyUpstreamEvents(relay.deps, [event(id)], log);
  relay.calls.length = 0;
  assert.deepEqual(await applyUpstreamEvents(relay.deps, [event(id)], log), { applied: 0, unchanged: 1, unmatched: 0 });
  assert.deepEqual(relay.calls, ['deliveries.get', 'appliedEvents.firstTime']);
  assert.equal(relay.senders.counts.get('example.com')?.hardBounces, 1);
  // and without an id, by its effect: a bounced row is not bounced again
  assert.deepEqual(await applyUpstreamEvents(relay.deps, [event(id, { eventId: undefined })], log), { applied: 0, unchanged: 1, unmatched: 0 });
  assert.equal(relay.senders.counts.get('example.com')?.hardBounces, 1);
});

for (const status of ['queued', 'sending', 'deferred'] as const) {
  test(`race: a bounce for a ${status} row (its 250 not yet recorded) bounces it and counts its attempt`, FILE_TIMEOUT, async () => {
    const { relay, id, row, log } = relayWith({
      status,
      attempts: status === 'queued' ? 0 : 1,
      upstreamId: undefined,
      sentAt: undefined,
      nextAttemptAt: status === 'deferred' ? new Date(START.getTime() + 7_200_000) : undefined,
      leaseOwner: status === 'sending' ? 'q-1' : undefined,
      leaseUntil: status === 'sending' ? new Date(START.getTime() + 7_200_000) : undefined,
    });
    assert.deepEqual(await applyUpstreamEvents(relay.deps, [event(id)], log), { applied: 1, unchanged: 0, unmatched: 0 });
    const bounced = row();
    assert.equal(bounced.status, 'bounced');
    assert.equal(bounced.nextAttemptAt, undefined, 'no retry is left waiting');
    assert.equal(bounced.leaseOwner, undefined);
    assert.deepEqual(relay.senders.counts.get('example.com'), { attempts: 1, hardBounces: 1, complaints: 0 });
  });
}

test('a row changed meanwhile is read again and the bounce applied once more', FILE_TIMEOUT, async () => {
  const { relay, id, row, log } = relayWith();
  relay.fail('deliveries.replace', new RowChangedError('changed meanwhile'));
  assert.deepEqual(await applyUpstreamEvents(relay.deps, [event(id)], log), { applied: 1, unchanged: 0, unmatched: 0 });
  assert.equal(row().status, 'bounced');
  assert.deepEqual(
    relay.calls.filter((c) => c.startsWith('deliveries.')),
    ['deliveries.get', 'deliveries.replace', 'deliveries.get', 'deliveries.replace'],
  );
});

test('a failure while applying forgets the event id, so that the upstream retry applies it', FILE_TIMEOUT, async () => {
  const { relay, id, row, log } = relayWith();
  relay.fail('deliveries.replace', new Error('storage is down'));
  await assert.rejects(applyUpstreamEvents(relay.deps, [event(id)], log), (err: unknown) => {
    // 503 with Retry-After, so the upstream retries; the cause keeps what storage said
    assert.ok(err instanceof StorageUnavailableError, String(err));
    assert.match(String((err.cause as Error).message), /storage is down/);
    return true;
  });
  assert.equal(row().status, 'sent');
  assert.equal(relay.appliedEvents.applied.size, 0);
  assert.deepEqual(await applyUpstreamEvents(relay.deps, [event(id)], log), { applied: 1, unchanged: 0, unmatched: 0 });
  assert.equal(row().status, 'bounced');
});

test('VERP wins: the return path finds the recipient even when the upstream rewrote the rest', FILE_TIMEOUT, async () => {
  const { relay, id, row, log } = relayWith({}, { RELAY_BOUNCE_DOMAIN: 'bounce.example.com' });
  relay.deliveries.seed(sentRow(id, { recipientKey: 'other@example.net', address: 'other@example.net' }));
  const rewritten = event(id, {
    source: 'dsn',
    type: 'failed',
    recipient: 'alias@forwarded.example.org',
    internetMessageId: '<rewritten-by-upstream@upstream.example>',
    returnPath: verpAddress(id, RECIPIENT, 'bounce.example.com'),
  });
  assert.deepEqual(await applyUpstreamEvents(relay.deps, [rewritten], log), { applied: 1, unchanged: 0, unmatched: 0 });
  assert.equal(row().status, 'bounced');
  assert.equal(relay.deliveries.row(id, 'other@example.net')?.status, 'sent');
  assert.match(log.text(), /bounced \(invalid-recipient\)/);
});

test("the upstream's id from the 250 finds the row through its sent event", FILE_TIMEOUT, async () => {
  const { relay, id, row, log } = relayWith();
  await relay.events.record([sentRow(id)], START);
  const byUpstreamId = event(id, { internetMessageId: undefined, upstreamId: '4BX1' });
  assert.deepEqual(await applyUpstreamEvents(relay.deps, [byUpstreamId], log), { applied: 1, unchanged: 0, unmatched: 0 });
  assert.equal(row().status, 'bounced');
  // beyond the 72 hours looked back, it is not found
  const late = newMessageId(START);
  relay.deliveries.seed(sentRow(late, { upstreamId: 'OLD1' }));
  await relay.events.record([sentRow(late, { upstreamId: 'OLD1' })], START);
  const tooLate = event(late, { internetMessageId: undefined, upstreamId: 'OLD1', at: new Date(START.getTime() + 73 * 3_600_000) });
  relay.clock.advance(80 * 3_600_000);
  assert.deepEqual(await applyUpstreamEvents(relay.deps, [tooLate], log), { applied: 0, unchanged: 0, unmatched: 1 });
});

test('a late bounce for an old carrier address finds its row whichever spelling the upstream reports', FILE_TIMEOUT, async () => {
  for (const reported of ['taro.@docomo.ne.jp', '"taro."@docomo.ne.jp', '<"Taro."@docomo.ne.jp>']) {
    const relay = new FakeRelay({}, START);
    const id = newMessageId(START);
    relay.deliveries.seed(sentRow(id, { recipientKey: 'taro.@docomo.ne.jp', address: '"taro."@docomo.ne.jp' }));
    const summary = await applyUpstreamEvents(relay.deps, [event(id, { recipient: reported })], new FakeLog());
    assert.deepEqual(summary, { applied: 1, unchanged: 0, unmatched: 0 }, reported);
    assert.equal(relay.deliveries.row(id, 'taro.@docomo.ne.jp')?.status, 'bounced', reported);
    assert.equal((await relay.suppressions.find('taro.@docomo.ne.jp'))[0]?.source, 'bounce', 'one suppression entry, under the key');
  }
});
