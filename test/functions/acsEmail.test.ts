// The ACS Email drop-in through the official @azure/communication-email client, pointed at the local
// host (the real functions, Azurite and the development smart host): beginSend signs and posts to
// /emails:send, pollUntilDone follows Operation-Location until the operation ends.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EmailClient, type EmailMessage } from '@azure/communication-email';
import { simpleParser } from 'mailparser';
import { type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { acsSignedHeaders } from '../support/acsSigning';
import type { MessageView } from '../../src/relay/messageStatus';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let relay: RelayHarness;
let client: EmailClient;

before(async () => {
  relay = await startRelayHarness();
  client = clientWith(relay.config.dropIns.acsAccessKey ?? assert.fail('the local defaults set RELAY_ACS_ACCESS_KEY'));
});
after(async () => {
  await relay?.stop();
});

function clientWith(key: string): EmailClient {
  // an endpoint with no path, as the client requires; http only with allowInsecureConnection
  return new EmailClient(`endpoint=${relay.url}/;accesskey=${key}`, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
}

function email(to: string, overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    senderAddress: 'app@example.jp',
    content: { subject: 'ACS からのお知らせ', plainText: 'Hello from an ACS app.', html: '<p>Hello from an <b>ACS</b> app.</p>' },
    recipients: { to: [{ address: to, displayName: '山田 太郎' }] },
    ...overrides,
  };
}

const pdf = Buffer.from('%PDF-1.4 a small attachment\n');

test('beginSend then pollUntilDone: Succeeded, and the message arrives with its attachment', FILE_TIMEOUT, async () => {
  const poller = await client.beginSend(
    email('acs-user@example.net', {
      recipients: {
        to: [{ address: 'acs-user@example.net', displayName: '山田 太郎' }],
        cc: [{ address: 'acs-cc@example.net' }],
        bcc: [{ address: 'acs-bcc@example.net' }],
      },
      replyTo: [{ address: 'support@example.jp', displayName: 'Support' }],
      headers: { 'X-App-Ref': 'order-42' },
      attachments: [{ name: 'invoice.pdf', contentType: 'application/pdf', contentInBase64: pdf.toString('base64') }],
      disableUserEngagementTracking: true,
    }),
    { updateIntervalInMs: 200 },
  );
  const result = await poller.pollUntilDone();
  assert.equal(result.status, 'Succeeded');
  assert.match(result.id, /^[0-9a-f-]{36}$/);

  // the operation is the relay's message: its own status endpoint shows every recipient sent
  const view = await relay.status(result.id);
  assert.deepEqual(view.recipients.map((r) => [r.address, r.status]).sort(), [
    ['acs-bcc@example.net', 'sent'],
    ['acs-cc@example.net', 'sent'],
    ['acs-user@example.net', 'sent'],
  ]);
  const received = relay.smartHost.messages.filter((m) => m.raw.includes(result.id));
  assert.deepEqual(received.flatMap((m) => m.to).sort(), ['acs-bcc@example.net', 'acs-cc@example.net', 'acs-user@example.net']);
  const [first] = received;
  assert.ok(first);
  const parsed = await simpleParser(first.raw);
  assert.equal(parsed.subject, 'ACS からのお知らせ');
  assert.equal(parsed.from?.value[0]?.address, 'app@example.jp');
  assert.deepEqual(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : undefined, [{ address: 'acs-user@example.net', name: '山田 太郎' }]);
  assert.equal(parsed.cc && !Array.isArray(parsed.cc) ? parsed.cc.text : undefined, 'acs-cc@example.net');
  assert.equal(parsed.replyTo?.value[0]?.address, 'support@example.jp');
  assert.equal(parsed.headers.get('x-app-ref'), 'order-42');
  assert.equal(parsed.text?.trim(), 'Hello from an ACS app.');
  assert.match(String(parsed.html), /<b>ACS<\/b>/);
  assert.equal(parsed.attachments.length, 1);
  assert.equal(parsed.attachments[0]?.filename, 'invoice.pdf');
  assert.equal(parsed.attachments[0]?.contentType, 'application/pdf');
  assert.deepEqual(parsed.attachments[0]?.content, pdf);
  assert.ok(!first.raw.toString('latin1').toLowerCase().includes('\nbcc:'), 'no Bcc header reaches the wire');
});

test('a bounced recipient: the operation Failed with EmailDropped and the reason', FILE_TIMEOUT, async () => {
  const answers: { status: number; body?: { id?: string; status?: string; error?: { code?: string; details?: unknown[] } } }[] = [];
  const poller = await client.beginSend(email('bounce-acs@example.net'), {
    updateIntervalInMs: 200,
    onResponse: (raw) => answers.push({ status: raw.status, body: raw.parsedBody as (typeof answers)[number]['body'] }),
  });
  await assert.rejects(poller.pollUntilDone(), /The long-running operation has failed\. EmailDropped\. The email was delivered to no recipient: 1 bounced/);
  assert.equal(poller.getOperationState().status, 'failed');
  const [accepted, ...polls] = answers;
  assert.equal(accepted?.status, 202);
  assert.equal(accepted?.body?.status, 'Running');
  const id = accepted?.body?.id;
  assert.ok(id, 'the 202 names the operation');
  const last = polls.at(-1)?.body;
  assert.equal(last?.id, id);
  assert.equal(last?.status, 'Failed');
  assert.deepEqual(last?.error?.details, [
    { code: 'Bounced', target: 'bounce-acs@example.net', message: '550 5.1.1 Recipient address rejected: User unknown' },
  ]);
  const view = await relay.status(id);
  assert.equal(view.recipients[0]?.status, 'bounced');
  assert.equal(view.recipients[0]?.category, 'invalid-recipient');
});

test('one sent and one bounced recipient: Succeeded, each recipient as it ended', FILE_TIMEOUT, async () => {
  const poller = await client.beginSend(
    email('mixed-ok@example.net', { recipients: { to: [{ address: 'mixed-ok@example.net' }, { address: 'bounce-mixed@example.net' }] } }),
    { updateIntervalInMs: 200 },
  );
  const result = await poller.pollUntilDone();
  assert.equal(result.status, 'Succeeded');
  const view: MessageView = await relay.status(result.id);
  assert.deepEqual(view.recipients.map((r) => [r.address, r.status]).sort(), [
    ['bounce-mixed@example.net', 'bounced'],
    ['mixed-ok@example.net', 'sent'],
  ]);
});

test('a client with a wrong key gets 401 Denied, and nothing is queued', FILE_TIMEOUT, async () => {
  const before = relay.smartHost.messages.length;
  const wrong = clientWith(Buffer.from('a-key-the-relay-does-not-hold-0123456789').toString('base64'));
  await assert.rejects(wrong.beginSend(email('never@example.net')), (err: { statusCode?: number; code?: string; message?: string }) => {
    assert.equal(err.statusCode, 401);
    assert.equal(err.code, 'Denied');
    assert.match(String(err.message), /signature does not match/);
    return true;
  });
  let rows = 0;
  for await (const row of relay.clients.deliveries.listEntities({ queryOptions: { filter: "address eq 'never@example.net'" } })) rows += row ? 1 : 0;
  assert.equal(rows, 0);
  assert.equal(relay.smartHost.messages.length, before);
});

test('the same Operation-Id twice: one message, the same operation', FILE_TIMEOUT, async () => {
  const operationId = '5f0c3a4e-1b2d-4c3e-8f9a-0b1c2d3e4f50';
  const first = await client.beginSend(email('once@example.net'), { operationId, updateIntervalInMs: 200 });
  const again = await client.beginSend(email('once@example.net'), { operationId, updateIntervalInMs: 200 });
  const [a, b] = await Promise.all([first.pollUntilDone(), again.pollUntilDone()]);
  assert.equal(a.id, b.id);
  assert.equal(relay.smartHost.countFor('once@example.net'), 1);
  // another message under the same Operation-Id is refused, not sent
  await assert.rejects(client.beginSend(email('twice@example.net'), { operationId }), (err: { statusCode?: number; code?: string }) => {
    assert.equal(err.statusCode, 409);
    assert.equal(err.code, 'Conflict');
    return true;
  });
  assert.equal(relay.smartHost.countFor('twice@example.net'), 0);
});

test('an unknown operation id is 404 NotFound in ACS shape; an unsupported api-version is 400', FILE_TIMEOUT, async () => {
  const signedGet = await signedRequest('GET', `${relay.url}/emails/operations/0190a0b0-0000-7000-8000-000000000000?api-version=2025-09-01`);
  assert.equal(signedGet.status, 404);
  assert.equal(signedGet.headers.get('x-ms-error-code'), 'NotFound');
  assert.equal(((await signedGet.json()) as { error: { code: string } }).error.code, 'NotFound');
  const old = await signedRequest('GET', `${relay.url}/emails/operations/0190a0b0-0000-7000-8000-000000000000?api-version=2021-10-01-preview`);
  assert.equal(old.status, 400);
  const body = (await old.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'UnsupportedApiVersion');
  assert.match(body.error.message, /2023-03-31 and 2025-09-01/);
});

test('api-version 2023-03-31 as well: 202 with its poll URL in that version, which answers the operation', FILE_TIMEOUT, async () => {
  const body = JSON.stringify(email('v2023@example.net'));
  const sent = await signedRequest('POST', `${relay.url}/emails:send?api-version=2023-03-31`, body, { 'content-type': 'application/json' });
  assert.equal(sent.status, 202);
  const accepted = (await sent.json()) as { id: string; status: string };
  assert.equal(accepted.status, 'Running');
  assert.equal(sent.headers.get('operation-location'), `${relay.url}/emails/operations/${accepted.id}?api-version=2023-03-31`);
  assert.equal(sent.headers.get('retry-after'), '1');
  await relay.waitForStatus(accepted.id, (v) => v.recipients[0]?.status === 'sent');
  const polled = await signedRequest('GET', sent.headers.get('operation-location')!);
  assert.equal(polled.status, 200);
  assert.deepEqual(await polled.json(), { id: accepted.id, status: 'Succeeded' });
  assert.equal(polled.headers.get('retry-after'), null, 'no retry-after once the operation is over');
});

/** A request signed by the client's own policy (the official signing code), sent with fetch. */
async function signedRequest(method: string, url: string, body = '', extra: Record<string, string> = {}): Promise<Response> {
  const { host, ...headers } = await acsSignedHeaders(relay.config.dropIns.acsAccessKey!, method, url, body);
  assert.equal(host, new URL(url).host, 'fetch sends the same Host');
  return fetch(url, { method, headers: { ...headers, ...extra }, body: body || undefined });
}
