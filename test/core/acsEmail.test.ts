// The ACS drop-in's rules, pure: an ACS EmailMessage becomes the relay's send request (which the
// relay's own validation then takes), the relay's field names are said back in ACS's, and a message's
// recipients become the operation's status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acsFieldName, checkApiVersion, operationResult, pollAfterSeconds, toRelayRequest } from '../../src/core/acsEmail';
import { validateSendRequest } from '../../src/core/sendRequest';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const FULL = {
  senderAddress: 'app@example.com',
  content: { subject: 'ご注文の確認', plainText: 'Thanks.', html: '<p>Thanks.</p>' },
  recipients: {
    to: [{ address: 'a@example.net', displayName: '山田 太郎' }, { address: 'b@example.net' }],
    cc: [{ address: 'c@example.net', displayName: 'C' }],
    bcc: [{ address: 'd@example.net', displayName: '' }],
  },
  attachments: [{ name: 'a.pdf', contentType: 'application/pdf', contentInBase64: 'JVBERi0=', contentId: 'logo1' }],
  replyTo: [{ address: 'support@example.com', displayName: 'Support' }],
  headers: { 'X-Order': '42' },
  userEngagementTrackingDisabled: true,
};

test('every field of an EmailMessage maps to the send request, which the relay validates as its own', FILE_TIMEOUT, () => {
  const mapped = toRelayRequest(FULL);
  assert.ok(mapped.ok, JSON.stringify(mapped));
  assert.deepEqual(mapped.value, {
    from: { address: 'app@example.com' },
    to: [{ address: 'a@example.net', name: '山田 太郎' }, { address: 'b@example.net' }],
    cc: [{ address: 'c@example.net', name: 'C' }],
    bcc: [{ address: 'd@example.net' }],
    replyTo: [{ address: 'support@example.com', name: 'Support' }],
    subject: 'ご注文の確認',
    text: 'Thanks.',
    html: '<p>Thanks.</p>',
    headers: { 'X-Order': '42' },
    attachments: [{ filename: 'a.pdf', content: 'JVBERi0=', contentType: 'application/pdf', contentId: 'logo1' }],
  });
  const validated = validateSendRequest(mapped.value, { maxRecipients: 50 });
  assert.ok(validated.ok, JSON.stringify(validated));
  assert.deepEqual(
    validated.value.recipients.map((r) => r.address),
    ['a@example.net', 'b@example.net', 'c@example.net', 'd@example.net'],
  );
  assert.deepEqual(validated.value.attachments[0]?.content, Buffer.from('JVBERi0=', 'base64'));
});

test('the smallest message the client sends: html only, to only, no optional field', FILE_TIMEOUT, () => {
  const mapped = toRelayRequest({
    senderAddress: 'app@example.com',
    content: { subject: 's', html: '<p>x</p>' },
    recipients: { to: [{ address: 'a@example.net' }] },
  });
  assert.ok(mapped.ok);
  assert.equal(mapped.value.text, undefined);
  assert.equal(mapped.value.html, '<p>x</p>');
  assert.ok(validateSendRequest(mapped.value, { maxRecipients: 50 }).ok);
});

test('shape problems are named with ACS field paths, every one at once', FILE_TIMEOUT, () => {
  const fields = (body: unknown) => {
    const mapped = toRelayRequest(body);
    return mapped.ok ? [] : mapped.errors.map((e) => e.field);
  };
  assert.deepEqual(fields([]), ['(body)']);
  assert.deepEqual(fields({}), ['content', 'recipients', 'senderAddress']);
  assert.deepEqual(fields({ ...FULL, from: 'x', content: { subject: 's' } }), ['from', 'content']);
  assert.deepEqual(fields({ ...FULL, senderAddress: 7, recipients: { to: 'a@example.net', bcc: [null], zz: [] } }), [
    'recipients.zz',
    'senderAddress',
    'recipients.to',
    'recipients.bcc[0]',
  ]);
  assert.deepEqual(fields({ ...FULL, attachments: [{ name: 'a', content: 'x' }], replyTo: {}, userEngagementTrackingDisabled: 'yes' }), [
    'replyTo',
    'attachments[0].content',
    'userEngagementTrackingDisabled',
  ]);
  assert.deepEqual(fields({ ...FULL, recipients: { to: [{ address: 'a@example.net', name: 'A' }] } }), ['recipients.to[0].name']);
});

test("the relay's field names are said back as ACS names them", FILE_TIMEOUT, () => {
  const cases: [string, string][] = [
    ['from', 'senderAddress'],
    ['to', 'recipients'],
    ['to[3]', 'recipients.to[3]'],
    ['bcc[0]', 'recipients.bcc[0]'],
    ['subject', 'content.subject'],
    ['text', 'content.plainText'],
    ['html', 'content.html'],
    ['attachments[2].filename', 'attachments[2].name'],
    ['attachments[2].content', 'attachments[2].contentInBase64'],
    ['attachments[2].contentType', 'attachments[2].contentType'],
    ['headers.Subject', 'headers.Subject'],
    ['replyTo[0]', 'replyTo[0]'],
  ];
  assert.deepEqual(
    cases.map(([relay]) => [relay, acsFieldName(relay)]),
    cases,
  );
  // a relay error about a mapped request names the ACS field
  const mapped = toRelayRequest({
    ...FULL,
    recipients: { to: [{ address: 'not an address' }] },
    attachments: [{ name: 'a/b', contentType: 'x', contentInBase64: '!' }],
  });
  assert.ok(mapped.ok);
  const validated = validateSendRequest(mapped.value, { maxRecipients: 50 });
  assert.ok(!validated.ok);
  assert.deepEqual(
    validated.errors.map((e) => acsFieldName(e.field)),
    ['recipients.to[0]', 'attachments[0].name', 'attachments[0].contentInBase64', 'attachments[0].contentType'],
  );
});

test('api-versions: 2023-03-31 and 2025-09-01, nothing else', FILE_TIMEOUT, () => {
  assert.equal(checkApiVersion('2023-03-31'), undefined);
  assert.equal(checkApiVersion('2025-09-01'), undefined);
  assert.match(checkApiVersion(null) ?? '', /no api-version was given; this relay speaks 2023-03-31 and 2025-09-01/);
  assert.match(checkApiVersion('2021-10-01-preview') ?? '', /"2021-10-01-preview" is not supported/);
  assert.match(checkApiVersion('2025-09-01 ') ?? '', /not supported/);
});

const ID = '0190a0b0-0000-7000-8000-000000000000';
const AT = new Date('2026-03-01T10:00:00Z');

test('the operation: Running until every recipient is final, then Succeeded if any was sent, else Failed', FILE_TIMEOUT, () => {
  const r = (address: string, status: Parameters<typeof operationResult>[1][number]['status'], response?: string) => ({ address, status, response });
  assert.deepEqual(operationResult(ID, [r('a@x.jp', 'sent'), r('b@x.jp', 'deferred')]), { id: ID, status: 'Running' });
  assert.deepEqual(operationResult(ID, [r('a@x.jp', 'sending')]), { id: ID, status: 'Running' });
  assert.deepEqual(operationResult(ID, [r('a@x.jp', 'queued')]), { id: ID, status: 'Running' });
  assert.deepEqual(operationResult(ID, [r('a@x.jp', 'sent')]), { id: ID, status: 'Succeeded' });
  assert.deepEqual(operationResult(ID, [r('a@x.jp', 'sent'), r('b@x.jp', 'bounced', '550 5.1.1 unknown')]), { id: ID, status: 'Succeeded' });
  assert.deepEqual(operationResult(ID, [r('a@x.jp', 'bounced', '550 5.1.1 unknown'), r('b@x.jp', 'failed'), r('c@x.jp', 'suppressed', 'suppressed: bounce')]), {
    id: ID,
    status: 'Failed',
    error: {
      code: 'EmailDropped',
      message: 'The email was delivered to no recipient: 1 bounced, 1 failed, 1 suppressed.',
      details: [
        { code: 'Bounced', target: 'a@x.jp', message: '550 5.1.1 unknown' },
        { code: 'Failed', target: 'b@x.jp', message: 'failed' },
        { code: 'Suppressed', target: 'c@x.jp', message: 'suppressed: bounce' },
      ],
    },
  });
});

test('poll again in a second while a recipient is on its way, at the next attempt (up to a minute) while all wait', FILE_TIMEOUT, () => {
  const at = (s: number) => new Date(AT.getTime() + s * 1000);
  assert.equal(pollAfterSeconds([{ address: 'a', status: 'queued' }], AT), 1);
  assert.equal(
    pollAfterSeconds(
      [
        { address: 'a', status: 'deferred', nextAttemptAt: at(30) },
        { address: 'b', status: 'sending' },
      ],
      AT,
    ),
    1,
  );
  assert.equal(
    pollAfterSeconds(
      [
        { address: 'a', status: 'deferred', nextAttemptAt: at(30) },
        { address: 'b', status: 'sent' },
      ],
      AT,
    ),
    30,
  );
  assert.equal(pollAfterSeconds([{ address: 'a', status: 'deferred', nextAttemptAt: at(3600) }], AT), 60);
  assert.equal(pollAfterSeconds([{ address: 'a', status: 'queued', nextAttemptAt: at(-5) }], AT), 1);
  assert.equal(pollAfterSeconds([{ address: 'a', status: 'sent' }], AT), 1);
});
