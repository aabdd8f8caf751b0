// The queue-triggered relay through the local host: real queue, real table rows, real SMTP with
// STARTTLS and AUTH against the development smart host.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import type { SMTPServerSession } from 'smtp-server';
import { eventually, message, RelayHarness, startRelayHarness } from '../support/relayHarness';
import { DeliveryQueue } from '../../src/storage/deliveryQueue';

let relay: RelayHarness;
/** RCPT TO commands the smart host has seen, per address */
const rcptSeen = new Map<string, number>();
/** addresses answered 451 this many times before they are accepted */
const greylistTimes = new Map<string, number>();

before(async () => {
  relay = await startRelayHarness({
    env: { RELAY_MAX_RETRY_SECONDS: '8' }, // retries at about 1, 3, 5 and 7 s, then failed
    smartHost: {
      rules: {
        onRcpt(address: string, _session: SMTPServerSession) {
          const seen = (rcptSeen.get(address) ?? 0) + 1;
          rcptSeen.set(address, seen);
          if (seen <= (greylistTimes.get(address) ?? 0)) return { code: 451, message: '4.7.1 Try again later' };
          return undefined; // the default rules: bounce-* 550, grey-* 451, else accept
        },
      },
    },
  });
});
after(async () => {
  await relay?.stop();
});

test('relays to the smart host: sent, with its reply kept, and the message intact', async () => {
  const pdf = Buffer.from('%PDF-1.4\n\x00\xff binary \r\n tail', 'latin1');
  const answer = await relay.send(
    message({
      from: { name: '山田 太郎', address: 'taro@example.jp' },
      to: '花子 <hanako@example.net>',
      bcc: 'audit@example.net',
      subject: '【重要】ご注文の確認',
      text: 'ご注文ありがとうございます。\n発送は明日です。',
      html: '<p>ご注文ありがとうございます。</p>',
      headers: { 'X-Order': '42' },
      attachments: [{ filename: '明細.pdf', content: pdf.toString('base64'), contentType: 'application/pdf' }],
      tags: { campaign: 'autumn' },
    }),
  );
  assert.equal(answer.status, 202, answer.text);
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.deepEqual(view.tags, { campaign: 'autumn' });
  for (const r of view.recipients) {
    assert.equal(r.status, 'sent');
    assert.equal(r.attempts, 1);
    assert.equal(r.smtpCode, 250);
    assert.equal(r.enhancedCode, '2.0.0');
    assert.match(r.response!, /^250 2\.0\.0 Ok: queued as [0-9A-F]+$/);
  }
  // Each recipient is its own SMTP transaction with its own envelope.
  const copies = relay.smartHost.messages.filter((m) => m.raw.includes(answer.body.id));
  assert.deepEqual(copies.map((m) => m.to).sort(), [['audit@example.net'], ['hanako@example.net']]);
  assert.ok(copies.every((m) => m.from === 'taro@example.jp'));
  const parsed = await simpleParser(copies[0].raw);
  assert.equal(parsed.subject, '【重要】ご注文の確認');
  assert.equal(parsed.text?.trim(), 'ご注文ありがとうございます。\n発送は明日です。');
  assert.equal(parsed.from?.value[0].name, '山田 太郎');
  assert.equal(parsed.messageId, `<${answer.body.id}@example.jp>`);
  assert.equal(parsed.headers.get('x-order'), '42');
  assert.equal(parsed.headers.has('bcc'), false);
  assert.equal(parsed.attachments[0].filename, '明細.pdf');
  assert.deepEqual(parsed.attachments[0].content, pdf);
  assert.ok(copies[0].raw.equals(copies[1].raw), 'every recipient gets the same bytes');
});

test('a 550 bounces at once and is never retried; the other recipient is still sent', async () => {
  const answer = await relay.send(message({ to: ['bounce-gone@example.net', 'fine@example.net'] }));
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  const byAddress = Object.fromEntries(view.recipients.map((r) => [r.address, r]));
  assert.equal(byAddress['bounce-gone@example.net'].status, 'bounced');
  assert.equal(byAddress['bounce-gone@example.net'].smtpCode, 550);
  assert.equal(byAddress['bounce-gone@example.net'].enhancedCode, '5.1.1');
  assert.equal(byAddress['bounce-gone@example.net'].attempts, 1);
  assert.equal(byAddress['fine@example.net'].status, 'sent');
  // A later message to a deferred address waits at least the first retry delay (1 s); by the time
  // it is sent, a retry of the bounce would have happened had there been one.
  greylistTimes.set('later@example.net', 1);
  const later = await relay.send(message({ to: 'later@example.net' }));
  await relay.waitForStatus(later.body.id, (v) => v.status === 'completed');
  assert.equal(rcptSeen.get('bounce-gone@example.net'), 1);
});

test('451 twice, then accepted: sent after three attempts, deferral recorded in between', async () => {
  greylistTimes.set('twice@example.net', 2);
  const answer = await relay.send(message({ to: 'twice@example.net' }));
  const deferred = await relay.waitForStatus(answer.body.id, (v) => v.recipients[0].status === 'deferred');
  assert.equal(deferred.status, 'queued');
  assert.equal(deferred.recipients[0].smtpCode, 451);
  assert.ok(deferred.recipients[0].nextAttemptAt, 'a deferred recipient says when it is tried next');
  const sent = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.equal(sent.recipients[0].status, 'sent');
  assert.equal(sent.recipients[0].attempts, 3);
  assert.equal(sent.recipients[0].nextAttemptAt, null);
  assert.equal(relay.smartHost.countFor('twice@example.net'), 1);
});

test('a recipient refused for now, for longer than RELAY_MAX_RETRY_SECONDS, is failed', async () => {
  const answer = await relay.send(message({ to: 'grey-forever@example.net' }));
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed', 30_000);
  const recipient = view.recipients[0];
  assert.equal(recipient.status, 'failed');
  assert.equal(recipient.smtpCode, 451);
  assert.match(recipient.response!, /^451 4\.7\.1 Greylisted, try again later \(retries ran out after \d attempts \(RELAY_MAX_RETRY_SECONDS=8\)\)$/);
  assert.ok(recipient.attempts >= 3, `attempts: ${recipient.attempts}`);
  assert.equal(recipient.nextAttemptAt, null);
});

test('smart host down, then up: deferred, then sent once', async () => {
  await relay.smartHost.pause();
  let id: string;
  try {
    const answer = await relay.send(message({ to: 'outage@example.net' }));
    id = answer.body.id;
    const deferred = await relay.waitForStatus(id, (v) => v.recipients[0].status === 'deferred');
    assert.match(deferred.recipients[0].response!, /ECONNECTION|ECONNREFUSED/);
    assert.equal(deferred.recipients[0].smtpCode, null);
  } finally {
    await relay.smartHost.resume();
  }
  const sent = await relay.waitForStatus(id, (v) => v.status === 'completed');
  assert.equal(sent.recipients[0].status, 'sent');
  assert.ok(sent.recipients[0].attempts >= 2);
  assert.equal(relay.smartHost.countFor('outage@example.net'), 1);
});

test('a message whose body is gone from storage fails, with the reason', async () => {
  await relay.smartHost.pause();
  const answer = await relay.send(message({ to: 'nobody-body@example.net' }));
  try {
    await relay.waitForStatus(answer.body.id, (v) => v.recipients[0].status === 'deferred');
    await relay.clients.bodies.deleteBlob(`${answer.body.id}.eml`);
  } finally {
    await relay.smartHost.resume();
  }
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.equal(view.recipients[0].status, 'failed');
  assert.equal(view.recipients[0].response, 'the message body is missing from storage');
  assert.equal(relay.smartHost.countFor('nobody-body@example.net'), 0);
});

test('a queue message delivered again never sends twice', async () => {
  const queue = new DeliveryQueue(relay.clients.queue);
  // Racing duplicates: extra copies of the task queued right after the accept.
  const answer = await relay.send(message({ to: 'dup@example.net' }));
  const task = { v: 1 as const, messageId: answer.body.id, recipient: 'dup@example.net' };
  await Promise.all([queue.enqueue(task), queue.enqueue(task), queue.enqueue(task)]);
  await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  // Late duplicates, after the recipient is final.
  await Promise.all([queue.enqueue(task), queue.enqueue(task)]);
  const skipLine = `message ${answer.body.id} to dup@example.net: skipped, already sent`;
  await eventually('both late duplicates to be skipped', () =>
    relay.hostOutput.filter((l) => l.includes(skipLine)).length >= 2 ? true : undefined,
  );
  assert.equal(relay.smartHost.countFor('dup@example.net'), 1);
});

test('logs carry the message id and never a password or a body', async () => {
  const secretBody = `body-marker-${Date.now()}`;
  const answer = await relay.send(message({ to: 'logs@example.net', text: secretBody, html: `<b>${secretBody}</b>` }));
  await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  const output = relay.hostOutput.join('\n');
  assert.ok(output.includes(`message ${answer.body.id} to logs@example.net: sent`), 'one line per state change, with the id');
  assert.ok(!output.includes(relay.smtpPassword), 'the SMTP password must not be logged');
  assert.ok(!output.includes(secretBody), 'message bodies must not be logged');
});
