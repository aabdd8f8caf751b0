import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyRecipientRefusal,
  classifySmtpError,
  decideDelivery,
  messageStatus,
  parseSmtpReply,
  planAfterTemporaryFailure,
  retryDelaySeconds,
} from '../../src/core/delivery';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

test('parses basic and enhanced codes', FILE_TIMEOUT, () => {
  assert.deepEqual(parseSmtpReply('250 2.0.0 Ok: queued as ABC123'), { smtpCode: 250, enhancedCode: '2.0.0', response: '250 2.0.0 Ok: queued as ABC123' });
  assert.deepEqual(parseSmtpReply('451 Try later'), { smtpCode: 451, enhancedCode: undefined, response: '451 Try later' });
  assert.equal(parseSmtpReply('garbage').smtpCode, undefined);
  assert.equal(parseSmtpReply(`550 5.7.1 ${'x'.repeat(5000)}`).response.length, 2000);
});

test('5xx bounces, 4xx and network errors defer', FILE_TIMEOUT, () => {
  assert.equal(classifySmtpError({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 unknown' }).kind, 'permanent');
  assert.equal(classifySmtpError({ code: 'EMESSAGE', responseCode: 554, response: '554 5.7.1 rejected' }).kind, 'permanent');
  assert.equal(classifySmtpError({ code: 'EMESSAGE', responseCode: 451, response: '451 4.3.0 later' }).kind, 'temporary');
  assert.equal(classifySmtpError({ code: 'ETIMEDOUT', message: 'Timeout' }).kind, 'temporary');
  assert.equal(classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' }).response, 'ECONNECTION: connect ECONNREFUSED');
});

test("the relay's own failures defer even with a 5xx code", FILE_TIMEOUT, () => {
  const auth = classifySmtpError({ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 bad credentials' });
  assert.deepEqual([auth.kind, auth.category, auth.rule], ['temporary', 'auth', 'relay-eauth']);
  const tls = classifySmtpError({ code: 'ETLS', responseCode: 530, response: '530 must issue STARTTLS' });
  assert.deepEqual([tls.kind, tls.category, tls.rule], ['temporary', 'tls', 'relay-etls']);
});

test('every refusal carries a category; a reply no rule knows is other, 5xx permanent and 4xx temporary', FILE_TIMEOUT, () => {
  assert.equal(classifySmtpError({ code: 'ETIMEDOUT', message: 'Timeout' }).category, 'timeout');
  assert.equal(classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED' }).category, 'connection');
  const unknown = classifySmtpError({ message: 'something odd' });
  assert.deepEqual([unknown.kind, unknown.category, unknown.rule], ['temporary', 'other', undefined]);
  assert.deepEqual(
    [classifySmtpError({ responseCode: 599, response: '599 odd' }), classifySmtpError({ responseCode: 499, response: '499 odd' })].map((o) => [
      o.kind,
      o.category,
      o.rule,
    ]),
    [
      ['permanent', 'other', 'b-5xx'],
      ['temporary', 'other', 'b-4xx'],
    ],
  );
});

test('a RCPT refusal is about the recipient', FILE_TIMEOUT, () => {
  const bounced = classifyRecipientRefusal({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 User unknown' });
  assert.deepEqual(bounced, {
    kind: 'permanent',
    smtpCode: 550,
    enhancedCode: '5.1.1',
    response: '550 5.1.1 User unknown',
    category: 'invalid-recipient',
    rule: 'x-5.1.1',
  });
  assert.equal(classifyRecipientRefusal({ responseCode: 451, response: '451 4.7.1 Greylisted' }).kind, 'temporary');
  // Too many recipients is the sending side's count, not the address: temporary even as a 5xx.
  const tooMany = classifyRecipientRefusal({ code: 'EENVELOPE', responseCode: 552, response: '552 too many recipients' });
  assert.deepEqual([tooMany.kind, tooMany.category, tooMany.rule], ['temporary', 'rate-limit', 't-too-many-recipients']);
});

test('retry delays double up to the cap', FILE_TIMEOUT, () => {
  const policy = { firstDelaySeconds: 60, maxDelaySeconds: 300, maxRetrySeconds: 86400 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 50].map((n) => retryDelaySeconds(n, policy)),
    [60, 120, 240, 300, 300, 300],
  );
});

test('a temporary failure defers until the retry window closes, then fails', FILE_TIMEOUT, () => {
  const policy = { firstDelaySeconds: 60, maxDelaySeconds: 3600, maxRetrySeconds: 600 };
  const queuedAt = new Date('2026-01-01T00:00:00Z');
  const early = planAfterTemporaryFailure(1, queuedAt, new Date('2026-01-01T00:01:00Z'), policy);
  assert.deepEqual(early, { status: 'deferred', nextAttemptAt: new Date('2026-01-01T00:02:00Z') });
  const late = planAfterTemporaryFailure(4, queuedAt, new Date('2026-01-01T00:09:00Z'), policy);
  assert.equal(late.status, 'failed');
});

test('decides what an invocation may do with a row', FILE_TIMEOUT, () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const later = new Date('2026-01-01T00:05:00Z');
  const earlier = new Date('2025-12-31T23:55:00Z');
  const first = { attempt: 1, queueMessageId: 'q1', redelivered: false };
  for (const status of ['sent', 'bounced', 'failed', 'suppressed'] as const) {
    assert.equal(decideDelivery({ status, attempts: 0 }, first, now).action, 'skip', status);
  }
  assert.deepEqual(decideDelivery({ status: 'queued', attempts: 0 }, first, now), { action: 'send', attempt: 1, claim: false });
  const retry = { attempt: 3, queueMessageId: 'q3', redelivered: false };
  assert.equal(decideDelivery({ status: 'deferred', attempts: 2, nextAttemptAt: later }, retry, now).action, 'wait');
  assert.deepEqual(decideDelivery({ status: 'deferred', attempts: 2, nextAttemptAt: new Date(now.getTime() + 1000) }, retry, now), {
    action: 'send',
    attempt: 3,
    claim: false,
  });
  assert.deepEqual(decideDelivery({ status: 'deferred', attempts: 2, nextAttemptAt: earlier }, retry, now), { action: 'send', attempt: 3, claim: false });
});

test('a task for an attempt already made is a duplicate, and skipped', FILE_TIMEOUT, () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const task = { attempt: 2, queueMessageId: 'q2', redelivered: false };
  assert.deepEqual(decideDelivery({ status: 'deferred', attempts: 2 }, task, now), { action: 'skip', reason: 'attempt 2 was made already (a duplicate task)' });
  assert.equal(decideDelivery({ status: 'deferred', attempts: 3 }, task, now).action, 'skip');
});

test('a redelivered task claims the row first, and takes over its own earlier claim', FILE_TIMEOUT, () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const later = new Date('2026-01-01T00:05:00Z');
  const again = { attempt: 1, queueMessageId: 'q1', redelivered: true };
  assert.deepEqual(decideDelivery({ status: 'queued', attempts: 0 }, again, now), { action: 'send', attempt: 1, claim: true });
  // Its own earlier invocation claimed the row and died: the lease is not waited out.
  assert.deepEqual(decideDelivery({ status: 'sending', attempts: 1, leaseUntil: later, leaseOwner: 'q1' }, again, now), {
    action: 'send',
    attempt: 1,
    claim: true,
  });
  // Another task's live claim is waited out.
  assert.deepEqual(decideDelivery({ status: 'sending', attempts: 0, leaseUntil: later, leaseOwner: 'q9' }, again, now), {
    action: 'wait',
    until: later,
    reason: 'another invocation is sending it',
  });
});

test('a task from before attempts were numbered claims the next attempt', FILE_TIMEOUT, () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const earlier = new Date('2025-12-31T23:55:00Z');
  const legacy = { queueMessageId: 'q', redelivered: false };
  assert.deepEqual(decideDelivery({ status: 'deferred', attempts: 2 }, legacy, now), { action: 'send', attempt: 3, claim: true });
  assert.deepEqual(decideDelivery({ status: 'sending', attempts: 1, leaseUntil: earlier, leaseOwner: 'x' }, legacy, now), {
    action: 'send',
    attempt: 2,
    claim: true,
  });
});

test('a message is completed only when every recipient is final', FILE_TIMEOUT, () => {
  assert.equal(messageStatus(['sent', 'bounced', 'suppressed', 'failed']), 'completed');
  assert.equal(messageStatus(['sent', 'deferred']), 'queued');
  assert.equal(messageStatus(['sending']), 'queued');
});
