// The queue-triggered relay through the local host: real queue, real table rows, real SMTP with
// STARTTLS and AUTH against the development smart host.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import type { SMTPServerSession } from 'smtp-server';
import { eventually, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { type DeliveryTask, encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { DeliveryQueue } from '../../src/storage/deliveryQueue';
import { eventsAfter, outcomeHistory } from '../support/storedResults';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

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

test('relays to the smart host: sent, with its reply kept, and the message intact', FILE_TIMEOUT, async () => {
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

test('a 550 bounces at once and is never retried; the other recipient is still sent', FILE_TIMEOUT, async () => {
  const answer = await relay.send(message({ to: ['bounce-gone@example.net', 'fine@example.net'] }));
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  const byAddress = Object.fromEntries(view.recipients.map((r) => [r.address, r]));
  assert.equal(byAddress['bounce-gone@example.net'].status, 'bounced');
  assert.equal(byAddress['bounce-gone@example.net'].smtpCode, 550);
  assert.equal(byAddress['bounce-gone@example.net'].enhancedCode, '5.1.1');
  assert.equal(byAddress['bounce-gone@example.net'].attempts, 1);
  assert.equal(byAddress['fine@example.net'].status, 'sent');
  const events = await eventsAfter(relay, answer.body.id, ['bounce-gone@example.net: bounced', 'fine@example.net: sent']);
  assert.deepEqual(outcomeHistory(events, 'bounce-gone@example.net'), ['bounced 1 550']);
  assert.deepEqual(outcomeHistory(events, 'fine@example.net'), ['sent 1 250']);
  // A later message to a deferred address waits at least the first retry delay (1 s); by the time
  // it is sent, a retry of the bounce would have happened had there been one.
  greylistTimes.set('later@example.net', 1);
  const later = await relay.send(message({ to: 'later@example.net' }));
  await relay.waitForStatus(later.body.id, (v) => v.status === 'completed');
  assert.equal(rcptSeen.get('bounce-gone@example.net'), 1);
});

test('451 twice, then accepted: sent after three attempts, deferral recorded in between', FILE_TIMEOUT, async () => {
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
  assert.equal(rcptSeen.get('twice@example.net'), 3, 'one RCPT per attempt');
  const events = await eventsAfter(relay, answer.body.id, ['twice@example.net: sent']);
  assert.deepEqual(outcomeHistory(events, 'twice@example.net'), ['deferred 1 451', 'deferred 2 451', 'sent 3 250']);
  assert.deepEqual(
    events.filter((e) => e.status === 'deferred').map((e) => e.response),
    ['451 4.7.1 Try again later', '451 4.7.1 Try again later'],
  );
});

test('a recipient refused for now, for longer than RELAY_MAX_RETRY_SECONDS, is failed', FILE_TIMEOUT, async () => {
  const answer = await relay.send(message({ to: 'grey-forever@example.net' }));
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed', 30_000);
  const recipient = view.recipients[0];
  assert.equal(recipient.status, 'failed');
  assert.equal(recipient.smtpCode, 451);
  assert.match(recipient.response!, /^451 4\.7\.1 Greylisted, try again later \(retries ran out after \d attempts \(RELAY_MAX_RETRY_SECONDS=8\)\)$/);
  assert.ok(recipient.attempts >= 3, `attempts: ${recipient.attempts}`);
  assert.equal(recipient.nextAttemptAt, null);
});

test('smart host down, then up: deferred, then sent once', FILE_TIMEOUT, async () => {
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

test('a message whose body is gone from storage fails, with the reason', FILE_TIMEOUT, async () => {
  await relay.smartHost.pause();
  // Large enough that its body is kept in a blob rather than in its queue task.
  const answer = await relay.send(message({ to: 'nobody-body@example.net', attachments: [largeAttachment()] }));
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

test('a small message travels in its task: no blob, and one event, for its outcome', FILE_TIMEOUT, async () => {
  const answer = await relay.send(message({ to: 'inline@example.net' }));
  await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  const blobs: string[] = [];
  for await (const blob of relay.clients.bodies.listBlobsFlat({ prefix: answer.body.id })) blobs.push(blob.name);
  assert.deepEqual(blobs, []);
  const events = await eventsAfter(relay, answer.body.id, ['inline@example.net: sent']);
  assert.deepEqual(
    events.map((e) => e.status),
    ['sent'],
  );
});

test('a late copy of an attempt already made is skipped while its recipient waits for the next', FILE_TIMEOUT, async () => {
  await relay.smartHost.pause(); // attempt 1 defers, so the recipient is not final when the copy comes
  const answer = await relay.send(message({ to: 'late-copy@example.net' }));
  try {
    await relay.waitForStatus(answer.body.id, (v) => v.recipients[0].status === 'deferred');
    // A second copy of attempt 1's task (a queue delivers at least once), with a body of its own.
    await new DeliveryQueue(relay.clients.queue).enqueue(
      newDeliveryTask(answer.body.id, 'late-copy@example.net', 1, encodeInlineBody(Buffer.from('Subject: late copy\r\n\r\nx\r\n'))),
    );
    await relay.waitForExecuted('relayDelivery', {
      invocationOf: `message ${answer.body.id} to late-copy@example.net: skipped, attempt 1 was made already (a duplicate task)`,
    });
  } finally {
    await relay.smartHost.resume();
  }
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.equal(view.recipients[0].status, 'sent');
  assert.equal(view.recipients[0].attempts, 2, 'sent by the retry of attempt 1, not by its copy');
  const copies = relay.smartHost.messages.filter((m) => m.to.includes('late-copy@example.net'));
  assert.equal(copies.length, 1);
  assert.ok(copies[0].raw.includes(answer.body.id), "the copy's body never reached the smart host");
});

function largeAttachment() {
  return { filename: 'big.bin', content: Buffer.alloc(60_000, 7).toString('base64') };
}

test('a task delivered again after its recipient is final never sends twice', FILE_TIMEOUT, async () => {
  const queue = relay.clients.queue;
  const answer = await relay.send(message({ to: 'dup@example.net' }));
  await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  // A copy of the task, taken by a consumer that dies: the queue hands it out again (dequeueCount 2).
  // The host is stopped meanwhile so that the dying consumer is certain to take it first.
  await relay.host.stop();
  try {
    const task = newDeliveryTask(answer.body.id, 'dup@example.net', 1, encodeInlineBody(Buffer.from('Subject: x\r\n\r\nx\r\n')));
    await queue.sendMessage(JSON.stringify(task));
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 1 });
    assert.deepEqual(
      receivedMessageItems.map((m) => [m.dequeueCount, (JSON.parse(m.messageText) as DeliveryTask).recipient]),
      [[1, 'dup@example.net']],
    );
  } finally {
    await relay.restartHost();
  }
  await eventually('the redelivered copy to be skipped', () =>
    relay.hostOutput.some((l) => l.includes(`message ${answer.body.id} to dup@example.net: skipped, already sent`)) ? true : undefined,
  );
  assert.equal(relay.smartHost.countFor('dup@example.net'), 1);
});

test('a task whose invocation died is claimed when it comes back, and the redelivery recorded', FILE_TIMEOUT, async () => {
  const queue = relay.clients.queue;
  await relay.smartHost.pause();
  const answer = await relay.send(message({ to: 'came-back@example.net' }));
  try {
    await relay.waitForStatus(answer.body.id, (v) => v.recipients[0].status === 'deferred');
    await relay.host.stop();
    // The retry task (attempt 2), taken by a consumer that dies before finishing.
    const taken = await eventually('the retry task to come due', async () => {
      const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 1 });
      return receivedMessageItems.find((m) => m.messageText.includes('came-back@example.net'));
    });
    assert.equal((JSON.parse(taken.messageText) as DeliveryTask).attempt, 2);
  } finally {
    await relay.smartHost.resume();
    await relay.restartHost();
  }
  const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.equal(view.recipients[0].status, 'sent');
  assert.equal(view.recipients[0].attempts, 2);
  const row = await relay.clients.deliveries.getEntity<{ redeliveries?: number; leaseOwner?: string }>(answer.body.id, 'came-back@example.net');
  assert.equal(row.redeliveries, 1);
  assert.equal(row.leaseOwner, undefined, 'the claim is released with the outcome');
  await relay.waitForExecuted('relayDelivery', {
    invocationOf: 'came-back@example.net: sending, attempt 2 (the task came back after an invocation that did not finish',
  });
  assert.equal(relay.smartHost.countFor('came-back@example.net'), 1);
});

test('racing copies of a task from before attempts were numbered claim the row: sent once', FILE_TIMEOUT, async () => {
  await relay.smartHost.pause();
  // Such tasks carry ids only, so the body is in a blob.
  const answer = await relay.send(message({ to: 'legacy@example.net', attachments: [largeAttachment()] }));
  const legacy = { v: 1 as const, messageId: answer.body.id, recipient: 'legacy@example.net' };
  const queue = new DeliveryQueue(relay.clients.queue);
  try {
    await relay.waitForStatus(answer.body.id, (v) => v.recipients[0].status === 'deferred');
    await Promise.all([queue.enqueue(legacy), queue.enqueue(legacy), queue.enqueue(legacy)]);
  } finally {
    await relay.smartHost.resume();
  }
  await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  // Every task handled before counting copies: the first, the three copies and one retry per deferral
  // each end in one of these lines. One that found another sending says "not now" and comes back
  // after the claim's lease (70 s here), by when the row is final: it can only be skipped then.
  const ending = new RegExp(`message ${answer.body.id} to legacy@example\\.net: (skipped, |another invocation claimed it first|not now, |sent: |deferred: )`);
  await eventually('every task of the message to be handled', () => {
    const ends = relay.hostOutput.map((l) => ending.exec(l)?.[1]).filter((end) => end !== undefined);
    return ends.length >= 4 + ends.filter((end) => end === 'deferred: ').length ? true : undefined;
  });
  assert.equal(relay.smartHost.countFor('legacy@example.net'), 1);
});

test('logs carry the message id and never a password or a body', FILE_TIMEOUT, async () => {
  const secretBody = `body-marker-${Date.now()}`;
  const answer = await relay.send(message({ to: 'logs@example.net', text: secretBody, html: `<b>${secretBody}</b>` }));
  await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  // The invocation that sent it logs its line a moment after the row says sent; wait for its end.
  const delivery = await relay.waitForExecuted('relayDelivery', { invocationOf: `message ${answer.body.id} to logs@example.net: sent` });
  assert.ok(
    delivery.some((l) => l.includes(`message ${answer.body.id} to logs@example.net: sending, attempt 1`)),
    'one line per state change, with the id',
  );
  const output = await relay.loggedSoFar();
  assert.match(output, new RegExp(`message ${answer.body.id}: queued for 1 recipient`));
  assert.ok(!output.includes(relay.smtpPassword), 'the SMTP password must not be logged');
  assert.ok(!output.includes(secretBody), 'message bodies must not be logged');
});
