// A late bounce by DSN, end to end: a message the smart host took (250, `sent`) bounces later at the
// recipient's side; the operator uploads the Postfix DSN that came back, and the recipient becomes
// `bounced` (invalid-recipient) and its address is suppressed. Matched by the relay's own Message-ID
// in the returned message; and, with RELAY_BOUNCE_DOMAIN, by the VERP address the bounce came back to
// when an upstream rewrote the Message-ID.
// Needs applyUpstreamEvents of the events branch (issue 9): with the interim, every event is unmatched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_KEY, eventually, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness();
});
after(async () => {
  await relay?.stop();
});

/** A Postfix bounce of `messageId` for `recipient`, as it comes back to the envelope sender (or after it, a fresh DSN id). */
function postfixBounce(messageId: string, recipient: string, envelopeSender: string): string {
  const boundary = '4cLb9T2xQz.1772800000/mx.example.net';
  return [
    'Return-Path: <>',
    `X-Original-To: ${envelopeSender}`,
    'Date: Mon,  9 Mar 2026 10:00:05 +0000 (UTC)',
    'From: MAILER-DAEMON@mx.example.net (Mail Delivery System)',
    'Subject: Undelivered Mail Returned to Sender',
    `To: ${envelopeSender}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    `Message-Id: <4cLb9T2xQz.${messageId.replace(/[<>@]/g, '')}@mx.example.net>`,
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `<${recipient}>: host mx.example.net[192.0.2.25] said: 550 5.1.1 <${recipient}>:`,
    '    Recipient address rejected: User unknown in local recipient table',
    '',
    `--${boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    'Arrival-Date: Mon,  9 Mar 2026 10:00:01 +0000 (UTC)',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    `Original-Recipient: rfc822;${recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx.example.net',
    `Diagnostic-Code: smtp; 550 5.1.1 <${recipient}>: Recipient address rejected:`,
    '    User unknown in local recipient table',
    '',
    `--${boundary}`,
    'Content-Description: Undelivered Message Headers',
    'Content-Type: text/rfc822-headers',
    '',
    `Message-ID: ${messageId}`,
    'From: App <app@example.com>',
    `To: ${recipient}`,
    'Subject: Hello',
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

test('a DSN for a sent recipient makes it bounced (invalid-recipient) and suppresses the address', FILE_TIMEOUT, async () => {
  const recipient = 'gone-later@example.net';
  const accepted = await relay.send(message({ from: 'App <app@example.com>', to: recipient }));
  assert.equal(accepted.status, 202, accepted.text);
  const id = accepted.body.id;
  await relay.waitForStatus(id, (v) => v.recipients[0]?.status === 'sent');

  const dsn = postfixBounce(`<${id}@example.com>`, recipient, 'app@example.com');
  const answer = await relay.request<Record<string, number>>('POST', '/api/v1/events/dsn', {
    body: dsn,
    key: ADMIN_KEY,
    headers: { 'content-type': 'multipart/report' },
  });
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.body, { recipients: 1, applied: 1, unchanged: 0, unmatched: 0 });

  const view = await relay.waitForStatus(id, (v) => v.recipients[0]?.status === 'bounced');
  assert.equal(view.recipients[0]?.category, 'invalid-recipient');
  const suppressed = await eventually('the suppression entry', async () => {
    for await (const e of relay.clients.suppressions.listEntities<{ partitionKey: string; rowKey: string }>()) {
      if (e.partitionKey === recipient) return e;
    }
    return undefined;
  });
  assert.equal(suppressed.rowKey, 'all', 'a bounce suppresses the address for every sender');

  // the same DSN again changes nothing more
  const again = await relay.request<Record<string, number>>('POST', '/api/v1/events/dsn', {
    body: dsn,
    key: ADMIN_KEY,
    headers: { 'content-type': 'multipart/report' },
  });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.applied, 0, 'applied once');
});

test('with RELAY_BOUNCE_DOMAIN, the VERP address matches the bounce even when the Message-ID was rewritten', FILE_TIMEOUT, async () => {
  await relay.restartHostWith({ RELAY_BOUNCE_DOMAIN: 'bounce.example.com' });
  const recipient = 'gone-verp@example.net';
  const accepted = await relay.send(message({ from: 'App <app@example.com>', to: recipient }));
  assert.equal(accepted.status, 202, accepted.text);
  const id = accepted.body.id;
  await relay.waitForStatus(id, (v) => v.recipients[0]?.status === 'sent');
  const envelopeSender = relay.smartHost.messages.find((m) => m.to.includes(recipient))?.from ?? '';
  assert.match(envelopeSender, new RegExp(`^bounces\\+${id}\\.[^@]+@bounce\\.example\\.com$`), 'the relay sent with a VERP return path');

  // the upstream gave the message its own Message-ID: only the VERP address still names it
  const dsn = postfixBounce('<rewritten.4f2a9c@smtp-out.example.net>', recipient, envelopeSender);
  const answer = await relay.request<Record<string, number>>('POST', '/api/v1/events/dsn', {
    body: dsn,
    key: ADMIN_KEY,
    headers: { 'content-type': 'message/rfc822' },
  });
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.body, { recipients: 1, applied: 1, unchanged: 0, unmatched: 0 });
  const view = await relay.waitForStatus(id, (v) => v.recipients[0]?.status === 'bounced');
  assert.equal(view.recipients[0]?.category, 'invalid-recipient');
});
