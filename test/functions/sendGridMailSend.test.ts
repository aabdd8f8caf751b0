// The SendGrid drop-in through the real function in the local host, against Azurite and the
// development smart host, driven by the official @sendgrid/mail client with its base URL set to
// <host>/api/sendgrid: what an app written for SendGrid changes to send through the relay.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleParser } from 'mailparser';
import { MailService } from '@sendgrid/mail';
import { Client } from '@sendgrid/client';
import { eventually, type RelayHarness, startRelayHarness } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const KEY = 'SG.relay-drop-in-test-key';
let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({ env: { RELAY_SENDGRID_API_KEY: KEY } });
});
after(async () => {
  await relay?.stop();
});

/** A SendGrid mail client as an app has one, switched to the relay: the only change is the base URL. */
function sendGridClient(key = KEY): MailService {
  const client = new Client();
  client.setApiKey(key); // sets SendGrid's own base URL, so the relay's comes after it
  client.setDefaultRequest('baseUrl', `${relay.url}/api/sendgrid`);
  const mail = new MailService();
  mail.setClient(client);
  return mail;
}

/** One header of a client response (the client types them as any). */
function header(headers: unknown, name: string): string {
  const value = (headers as Record<string, unknown>)[name];
  assert.equal(typeof value, 'string', `the ${name} header`);
  return value as string;
}

interface SendGridFailure {
  code: number;
  response: { body: { errors: { message: string; field: string | null; help: string | null }[] } };
}

async function refusal(send: Promise<unknown>): Promise<SendGridFailure> {
  return send.then(
    () => assert.fail('the relay accepted it'),
    (err: unknown) => err as SendGridFailure,
  );
}

test('two personalizations with an attachment, categories and custom args arrive as two messages and show in the status', FILE_TIMEOUT, async () => {
  const [response] = await sendGridClient().send({
    from: { email: 'app@example.jp', name: '配信アプリ' },
    personalizations: [
      { to: [{ email: 'sg-one@example.net', name: '山田 太郎' }], subject: 'ご注文の確認', customArgs: { orderId: 'A-1' } },
      { to: [{ email: 'sg-two@example.net' }], cc: [{ email: 'sg-cc@example.net' }], subject: 'Your order', headers: { 'X-Order': 'B-2' } },
    ],
    subject: 'fallback',
    text: 'ご注文ありがとうございます。',
    html: '<p>ご注文ありがとうございます。</p>',
    attachments: [{ content: Buffer.from('請求書').toString('base64'), filename: 'invoice.txt', type: 'text/plain', disposition: 'attachment' }],
    categories: ['orders', 'jp'],
    customArgs: { campaign: 'winter' },
  });
  assert.equal(response.statusCode, 202);
  assert.equal(response.body, '', 'an empty body, as SendGrid answers');
  const first = header(response.headers, 'x-message-id');
  const ids = header(response.headers, 'x-relay-message-ids').split(',');
  assert.equal(ids.length, 2);
  assert.equal(first, ids[0], 'X-Message-Id is the first personalization’s message');

  const [one, two] = await Promise.all(ids.map((id) => relay.waitForStatus(id, (v) => v.recipients.every((r) => r.status === 'sent'))));
  assert.deepEqual(one.tags, { orderId: 'A-1', campaign: 'winter', categories: 'orders,jp' });
  assert.equal(one.subject, 'ご注文の確認');
  assert.deepEqual(two.recipients.map((r) => r.address).sort(), ['sg-cc@example.net', 'sg-two@example.net']);
  assert.deepEqual(two.tags, { campaign: 'winter', categories: 'orders,jp' });

  await eventually('three copies at the smart host', () =>
    relay.smartHost.messages.filter((m) => m.to[0]?.startsWith('sg-')).length === 3 ? true : undefined,
  );
  const copy = relay.smartHost.messages.find((m) => m.to.includes('sg-one@example.net'));
  assert.ok(copy);
  const parsed = await simpleParser(copy.raw);
  assert.equal(parsed.subject, 'ご注文の確認');
  assert.equal(parsed.from?.value[0]?.name, '配信アプリ');
  assert.equal(parsed.text?.trim(), 'ご注文ありがとうございます。');
  assert.match(String(parsed.html), /ご注文ありがとうございます/);
  assert.deepEqual(
    parsed.attachments.map((a) => [a.filename, a.content.toString('utf8')]),
    [['invoice.txt', '請求書']],
  );
  assert.ok(!parsed.headers.has('x-order'), "the other personalization's header stays with it");
  const other = await simpleParser(relay.smartHost.messages.find((m) => m.to.includes('sg-two@example.net'))!.raw);
  assert.equal(other.headers.get('x-order'), 'B-2');
  assert.equal(other.subject, 'Your order');
});

test('send_at: the message waits, with nextAttemptAt saying until when', FILE_TIMEOUT, async () => {
  const sendAt = Math.floor(Date.now() / 1000) + 3600;
  const [response] = await sendGridClient().send({ from: 'app@example.jp', to: 'sg-later@example.net', subject: 'later', text: 'later', sendAt });
  assert.equal(response.statusCode, 202);
  const view = await relay.status(header(response.headers, 'x-message-id'));
  assert.equal(view.recipients[0]?.status, 'queued');
  assert.equal(view.recipients[0]?.nextAttemptAt, new Date(sendAt * 1000).toISOString());
  const stored = await relay.clients.deliveries.getEntity<{ sendAt?: Date }>(view.id, 'sg-later@example.net');
  assert.equal(new Date(stored.sendAt ?? 0).toISOString(), new Date(sendAt * 1000).toISOString(), 'the row keeps send_at: its retries count from it');
});

test('a refused field answers 400 through the client, naming it in SendGrid’s error shape', FILE_TIMEOUT, async () => {
  const failure = await refusal(sendGridClient().send({ from: 'app@example.jp', to: 'sg-no@example.net', subject: 's', text: 't', templateId: 'd-123' }));
  assert.equal(failure.code, 400);
  assert.deepEqual(failure.response.body.errors, [
    { field: 'template_id', message: 'templates are not supported by this relay; render the content and send it in "content"', help: null },
  ]);
});

test('a wrong key is 401, in SendGrid’s shape', FILE_TIMEOUT, async () => {
  const failure = await refusal(sendGridClient('SG.not-the-key').send({ from: 'app@example.jp', to: 'sg-no@example.net', subject: 's', text: 't' }));
  assert.equal(failure.code, 401);
  assert.deepEqual(failure.response.body.errors, [{ field: null, message: 'The provided authorization grant is invalid, expired, or revoked', help: null }]);
});

test('sandbox mode answers 200 and queues nothing', FILE_TIMEOUT, async () => {
  const before = (await relay.clients.queue.getProperties()).approximateMessagesCount;
  const [response] = await sendGridClient().send({
    from: 'app@example.jp',
    to: 'sg-sandbox@example.net',
    subject: 's',
    text: 't',
    mailSettings: { sandboxMode: { enable: true } },
  });
  assert.equal(response.statusCode, 200);
  assert.equal((await relay.clients.queue.getProperties()).approximateMessagesCount, before);
  const rows: unknown[] = [];
  for await (const row of relay.clients.deliveries.listEntities({ queryOptions: { filter: "RowKey eq 'sg-sandbox@example.net'" } })) rows.push(row);
  assert.deepEqual(rows, []);
});
