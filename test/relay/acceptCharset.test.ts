// A destination's charset and maxMessageBytes at accept, against the in-memory ports: its recipients
// get the message composed once in ISO-2022-JP (inline in their tasks, or a second blob that readBody
// finds), everyone else the UTF-8 one; text ISO-2022-JP cannot carry goes as UTF-8 with a note; a
// message over a destination's limit ends `bounced` at once, with nothing queued for it. The
// SendGrid drop-in goes through the same accept, so a legacy carrier address works there too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { acceptMessage, type AcceptInput } from '../../src/relay/acceptMessage';
import { acceptSendGridMail } from '../../src/relay/acceptSendGrid';
import { validateMessageListQuery } from '../../src/core/messageList';
import { inlineBody } from '../../src/core/deliveryTask';
import { deliverTask } from '../../src/relay/deliverTask';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const POLICY = JSON.stringify({
  destinations: { 'jp-docomo': { charset: 'iso-2022-jp' }, small: { domains: ['small.example'], maxMessageBytes: 1500 } },
});
const JAPANESE = { from: 'App <app@example.com>', subject: 'ご予約の確認', text: 'こんにちは、山田様。\nご予約を承りました。' };

function input(message: Record<string, unknown>): AcceptInput {
  return { contentType: 'application/json', body: Buffer.from(JSON.stringify(message)), idempotencyKey: null };
}

function taskBody(relay: FakeRelay, recipient: string): Buffer | undefined {
  const task = relay.queue.tasks.find((t) => t.task.recipient === recipient)?.task;
  return task && inlineBody(task);
}

test('docomo recipients get ISO-2022-JP, composed once; the others UTF-8; no extra storage call', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({ RELAY_POLICY_JSON: POLICY });
  const { answer } = await acceptMessage(
    relay.deps,
    input({ ...JAPANESE, to: ['taro.@docomo.ne.jp', 'hanako@docomo.ne.jp', 'user@example.net'] }),
    new FakeLog(),
  );
  assert.deepEqual(
    answer.recipients.map((r) => r.status),
    ['queued', 'queued', 'queued'],
  );
  assert.deepEqual(
    relay.calls.filter((c) => !c.startsWith('suppressions.')),
    ['messageIndex.add', 'queue.enqueue', 'queue.enqueue', 'queue.enqueue', 'deliveries.insertMessage'],
  );
  const taro = taskBody(relay, 'taro.@docomo.ne.jp')!;
  assert.deepEqual(taskBody(relay, 'hanako@docomo.ne.jp'), taro, 'one ISO-2022-JP message for both');
  assert.match(taro.toString('latin1'), /^Content-Type: text\/plain; charset=ISO-2022-JP$/m);
  assert.match(taro.toString('latin1'), /^Subject: =\?ISO-2022-JP\?B\?/m);
  assert.ok(
    [...taro].every((b) => b < 0x80),
    '7-bit',
  );
  assert.equal((await simpleParser(taro)).text?.trim(), 'こんにちは、山田様。\nご予約を承りました。');
  const utf8 = taskBody(relay, 'user@example.net')!;
  assert.match(utf8.toString('latin1'), /charset=utf-8/);
  assert.equal((await simpleParser(utf8)).subject, 'ご予約の確認');
  const row = relay.deliveries.row(answer.id, 'taro.@docomo.ne.jp')!;
  assert.equal(row.charset, 'iso-2022-jp');
  assert.equal(row.address, '"taro."@docomo.ne.jp');
  assert.equal(row.messageBytes, taro.length, 'the size of the body it gets');
  assert.equal(relay.deliveries.row(answer.id, 'user@example.net')?.charset, undefined);
});

test('a large ISO-2022-JP message is a second blob, which the delivery reads for that recipient', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({ RELAY_POLICY_JSON: POLICY });
  const text = 'ご予約ありがとうございます。'.repeat(3000);
  const { answer } = await acceptMessage(relay.deps, input({ ...JAPANESE, text, to: ['taro@docomo.ne.jp', 'user@example.net'] }), new FakeLog());
  assert.deepEqual([...relay.bodies.bodies.keys()].sort(), [answer.id, `${answer.id}.iso-2022-jp`]);
  assert.equal(taskBody(relay, 'taro@docomo.ne.jp'), undefined, 'not inline: too large');
  for (const task of relay.queue.tasks.map((t) => t.task)) await deliverTask(relay.deps, task, new FakeLog());
  const sent = new Map(relay.smartHost.sent.map((s) => [s.envelope.to, s.raw]));
  assert.equal((await simpleParser(sent.get('taro@docomo.ne.jp')!)).text?.trim(), text);
  assert.match(sent.get('taro@docomo.ne.jp')!.toString('latin1'), /charset=ISO-2022-JP/);
  assert.match(sent.get('user@example.net')!.toString('latin1'), /charset=utf-8/);
});

test('text ISO-2022-JP cannot carry: those recipients get UTF-8, and the row and the log say why', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({ RELAY_POLICY_JSON: POLICY });
  const log = new FakeLog();
  const { answer } = await acceptMessage(relay.deps, input({ ...JAPANESE, text: 'ありがとう😀', to: 'taro@docomo.ne.jp' }), log);
  assert.equal(answer.recipients[0]?.status, 'queued');
  const row = relay.deliveries.row(answer.id, 'taro@docomo.ne.jp')!;
  assert.equal(row.charset, undefined);
  assert.equal(row.response, 'composed in UTF-8, not ISO-2022-JP: the text has "😀" (U+1F600), which ISO-2022-JP cannot carry');
  assert.match(taskBody(relay, 'taro@docomo.ne.jp')!.toString('latin1'), /charset=utf-8/);
  assert.match(log.text(), /composed in UTF-8, not ISO-2022-JP: the text has "😀" \(U\+1F600\)/);
});

test('over a destination maxMessageBytes: bounced in the answer and the row, no task, not suppressed', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({ RELAY_POLICY_JSON: POLICY });
  const { answer } = await acceptMessage(
    relay.deps,
    input({ ...JAPANESE, text: 'x'.repeat(2000), to: ['big@small.example', 'user@example.net'] }),
    new FakeLog(),
  );
  assert.deepEqual(answer, {
    id: answer.id,
    status: 'queued',
    recipients: [
      { address: 'big@small.example', status: 'bounced' },
      { address: 'user@example.net', status: 'queued' },
    ],
  });
  assert.deepEqual(
    relay.queue.tasks.map((t) => t.task.recipient),
    ['user@example.net'],
  );
  const row = relay.deliveries.row(answer.id, 'big@small.example')!;
  assert.equal(row.status, 'bounced');
  assert.equal(row.category, 'message-too-large');
  assert.equal(row.attempts, 0);
  assert.match(row.response ?? '', /^not sent: the message is \d+ bytes; destination small accepts at most 1500 \(maxMessageBytes\)$/);
  assert.equal(relay.suppressions.entries.size, 0);
  assert.deepEqual(
    relay.events.recorded.map((e) => [e.row.recipientKey, e.row.status]),
    [['big@small.example', 'bounced']],
  );

  const only = await acceptMessage(relay.deps, input({ ...JAPANESE, text: 'x'.repeat(2000), to: 'big@small.example' }), new FakeLog());
  assert.equal(only.answer.status, 'completed', 'nothing left to send');
});

test('the limit is checked against the body the recipient gets: its charset variant', FILE_TIMEOUT, async () => {
  // Japanese text is 3 bytes a character in UTF-8, 2 in ISO-2022-JP: over the limit in one, under it in the other
  const policy = JSON.stringify({
    destinations: { 'jp-docomo': { charset: 'iso-2022-jp', maxMessageBytes: 2600 }, other: { domains: ['other.example'], maxMessageBytes: 2600 } },
  });
  const relay = new FakeRelay({ RELAY_POLICY_JSON: policy });
  const { answer } = await acceptMessage(
    relay.deps,
    input({ ...JAPANESE, text: 'あ'.repeat(800), to: ['taro@docomo.ne.jp', 'user@other.example'] }),
    new FakeLog(),
  );
  assert.deepEqual(
    answer.recipients.map((r) => [r.address, r.status]),
    [
      ['taro@docomo.ne.jp', 'queued'],
      ['user@other.example', 'bounced'],
    ],
  );
});

test('the SendGrid drop-in takes a legacy docomo address and the ISO-2022-JP destination as the API does', FILE_TIMEOUT, async () => {
  const key = 'SG.test-key-for-the-drop-in';
  const relay = new FakeRelay({ RELAY_POLICY_JSON: POLICY, RELAY_SENDGRID_API_KEY: key });
  const body = {
    personalizations: [{ to: [{ email: 'taro.@docomo.ne.jp' }] }],
    from: { email: 'app@example.com' },
    subject: 'ご予約の確認',
    content: [{ type: 'text/plain', value: 'こんにちは' }],
  };
  const answer = await acceptSendGridMail(
    relay.deps,
    { authorization: `Bearer ${key}`, contentType: 'application/json', body: Buffer.from(JSON.stringify(body)) },
    new FakeLog(),
  );
  const id = answer.ids[0];
  const row = relay.deliveries.row(id, 'taro.@docomo.ne.jp')!;
  assert.equal(row.address, '"taro."@docomo.ne.jp');
  assert.equal(row.charset, 'iso-2022-jp');
  assert.equal((await simpleParser(taskBody(relay, 'taro.@docomo.ne.jp')!)).text?.trim(), 'こんにちは');
  // the operators' list finds it under either spelling
  for (const spelling of ['taro.@docomo.ne.jp', '"taro."@docomo.ne.jp']) {
    const query = validateMessageListQuery([['recipient', spelling]], new Date());
    assert.equal(query.ok && query.value.recipient, 'taro.@docomo.ne.jp', spelling);
  }
});
