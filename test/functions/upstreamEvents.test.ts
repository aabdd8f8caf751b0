// Late bounces and complaints through the real event functions in the local host, against Azurite and
// the development smart host: a message is relayed (250), then its upstream reports on it. VERP is
// on, so every send's envelope sender is its return path. Bad input to both endpoints is refused with
// 4xx and changes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { sendGridSigner } from '../support/sendGridSigning';
import { parseVerpAddress, recipientTag } from '../../src/core/verp';
import { DeliveryStore } from '../../src/storage/deliveryStore';
import { SuppressionStore } from '../../src/storage/suppressionStore';
import type { MessageView } from '../../src/relay/messageStatus';
import type { SuppressionEntry } from '../../src/core/suppression';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const BOUNCE_DOMAIN = 'bounce.example.jp';
const ACS_SECRET = 'acs-events-secret-for-the-tests-0123456789';
const sendGrid = sendGridSigner();
const { signed, otherKey } = sendGrid;

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({
    env: {
      RELAY_BOUNCE_DOMAIN: BOUNCE_DOMAIN,
      RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY: sendGrid.publicKeySetting,
      RELAY_ACS_EVENTS_SECRET: ACS_SECRET,
      RELAY_EVENT_MAX_AGE_SECONDS: '600',
    },
  });
});
after(async () => {
  await relay?.stop();
});

interface Sent {
  id: string;
  address: string;
  /** the development smart host's queue id, from its 250 */
  queueId: string;
  envelopeFrom: string;
}

/** Sends one message to `address` and waits until it is sent. */
async function sendAndWait(address: string): Promise<Sent> {
  const answer = await relay.send(message({ to: address }));
  assert.equal(answer.status, 202, answer.text);
  const id = answer.body.id;
  await relay.waitForStatus(id, (v) => v.recipients[0]?.status === 'sent');
  const received = relay.smartHost.messages.find((m) => m.raw.includes(id));
  assert.ok(received, 'the smart host received it');
  return { id, address, queueId: received.queueId, envelopeFrom: received.from };
}

function postSendGrid(body: string, headers: Record<string, string>) {
  return relay.request<Record<string, unknown>>('POST', '/api/v1/events/sendgrid', { body, headers, key: null });
}

function postAcs(body: unknown, options: { secret?: string | null; query?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const secret = options.secret === undefined ? ACS_SECRET : options.secret;
  if (secret !== null && options.query === undefined) headers['x-relay-events-secret'] = secret;
  return relay.request<Record<string, unknown>>('POST', `/api/v1/events/acs${options.query ?? ''}`, { body, headers, key: null });
}

function sendGridBounce(sent: Sent, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    email: sent.address,
    timestamp: Math.floor(Date.now() / 1000),
    'smtp-id': `<${sent.id}@example.jp>`,
    event: 'bounce',
    type: 'bounce',
    sg_event_id: `sg-${sent.id}`,
    sg_message_id: `${sent.queueId}.filterdrecv-5645d9c87f-abcde-1-0`,
    reason: '550 5.1.1 The email account that you tried to reach does not exist.',
    status: '5.1.1',
    ...changes,
  };
}

function acsReport(sent: Sent, status: string, statusMessage: string): Record<string, unknown> {
  return {
    sender: 'app@example.jp',
    recipient: sent.address,
    messageId: '11111111-2222-4333-8444-555555555555',
    internetMessageId: `<${sent.id}@example.jp>`,
    status,
    deliveryStatusDetails: { statusMessage },
    deliveryAttemptTimestamp: new Date().toISOString(),
  };
}

async function recipientOf(id: string): Promise<MessageView['recipients'][number]> {
  const view = await relay.status(id);
  assert.equal(view.recipients.length, 1);
  return view.recipients[0];
}

function suppressionsOf(address: string): Promise<SuppressionEntry[]> {
  return new SuppressionStore(relay.clients.suppressions).find(address);
}

test('VERP: the smart host sees bounces+<id>.<tag>@<bounce domain>, and the 250 id is kept on the row', FILE_TIMEOUT, async () => {
  const sent = await sendAndWait('verp-check@example.net');
  assert.match(sent.envelopeFrom, new RegExp(`^bounces\\+${sent.id}\\.[0-9a-f]{8}@${BOUNCE_DOMAIN.replace(/\./g, '\\.')}$`));
  assert.deepEqual(parseVerpAddress(sent.envelopeFrom, BOUNCE_DOMAIN), { messageId: sent.id, tag: recipientTag('verp-check@example.net') });
  const stored = await new DeliveryStore(relay.clients.deliveries).get(sent.id, 'verp-check@example.net');
  assert.equal(stored?.row.upstreamId, sent.queueId);
});

test('SendGrid: bad input is refused with 4xx and changes nothing', FILE_TIMEOUT, async () => {
  const sent = await sendAndWait('sg-bad-input@example.net');
  const body = JSON.stringify([sendGridBounce(sent)]);
  const old = Math.floor(Date.now() / 1000) - 3600;
  const cases: [string, string, Record<string, string>, number][] = [
    ['unsigned', body, { 'content-type': 'application/json' }, 401],
    ['signed by another key', body, signed(body, { key: otherKey }), 401],
    ['signature for another body', body, { ...signed(`${body} `) }, 401],
    ['garbled signature', body, { ...signed(body), 'x-twilio-email-event-webhook-signature': '%%%not-base64%%%' }, 401],
    ['replayed (an hour old)', body, signed(body, { timestamp: old }), 401],
    ['from the future', body, signed(body, { timestamp: old + 7200 }), 401],
    ['timestamp not a number', body, { ...signed(body), 'x-twilio-email-event-webhook-timestamp': 'yesterday' }, 401],
    ['not JSON', 'not json', signed('not json'), 400],
    ['an object, not an array', JSON.stringify(sendGridBounce(sent)), signed(JSON.stringify(sendGridBounce(sent))), 400],
    ['an array of strings', '["bounce"]', signed('["bounce"]'), 400],
    ['empty', '', signed(''), 400],
  ];
  for (const [what, requestBody, headers, status] of cases) {
    const answer = await postSendGrid(requestBody, headers);
    assert.equal(answer.status, status, `${what}: ${answer.text}`);
    assert.equal(answer.headers.get('content-type'), 'application/problem+json', what);
  }
  const recipient = await recipientOf(sent.id);
  assert.equal(recipient.status, 'sent');
  assert.deepEqual(await suppressionsOf(sent.address), []);
});

test('SendGrid: a signed late bounce makes the sent recipient bounced and suppresses it; the same event again changes nothing', FILE_TIMEOUT, async () => {
  const sent = await sendAndWait('sg-late-bounce@example.net');
  const body = JSON.stringify([sendGridBounce(sent), { email: 'someone@else.example', event: 'open', sg_event_id: 'open-1' }]);
  const answer = await postSendGrid(body, signed(body));
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.body, { received: 2, applied: 1, unchanged: 1, unmatched: 0, skipped: 0 });
  const recipient = await recipientOf(sent.id);
  assert.equal(recipient.status, 'bounced');
  assert.equal(recipient.category, 'invalid-recipient');
  assert.equal(recipient.smtpCode, 550);
  assert.equal(recipient.enhancedCode, '5.1.1');
  const [entry] = await suppressionsOf(sent.address);
  assert.equal(entry?.source, 'bounce');
  assert.equal(entry?.scope, 'all');
  assert.equal(entry?.messageId, sent.id);
  // SendGrid delivering the same batch again, freshly signed
  const again = await postSendGrid(body, signed(body));
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.applied, 0);
});

test("SendGrid: an event with only the upstream's id (no Message-ID) finds its row through the sent event", FILE_TIMEOUT, async () => {
  const sent = await sendAndWait('sg-by-queue-id@example.net');
  const body = JSON.stringify([sendGridBounce(sent, { 'smtp-id': undefined })]);
  const answer = await postSendGrid(body, signed(body));
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.applied, 1, answer.text);
  assert.equal((await recipientOf(sent.id)).status, 'bounced');
});

test('SendGrid: events that match nothing are answered 200 and counted, so SendGrid does not retry them', FILE_TIMEOUT, async () => {
  const body = JSON.stringify([
    { email: 'nobody@example.net', event: 'bounce', 'smtp-id': '<CAF+x@mail.gmail.com>', sg_event_id: 'stranger-1', reason: '550 5.1.1 unknown' },
    { event: 'bounce' },
  ]);
  const answer = await postSendGrid(body, signed(body));
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.body, { received: 2, applied: 0, unchanged: 0, unmatched: 1, skipped: 1 });
  assert.deepEqual(await suppressionsOf('nobody@example.net'), []);
});

test('ACS: the Event Grid and CloudEvents validation handshakes', FILE_TIMEOUT, async () => {
  const validation = [
    {
      id: 'v-1',
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      subject: '',
      data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://rp-eastus2.eventgrid.azure.net/...' },
      eventTime: new Date().toISOString(),
      dataVersion: '1',
    },
  ];
  for (const secret of [ACS_SECRET, null]) {
    const answer = await postAcs(validation, { secret });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body, { validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
  }
  const wrong = await postAcs(validation, { secret: 'not-the-secret' });
  assert.equal(wrong.status, 401, wrong.text);
  const options = await relay.request('OPTIONS', '/api/v1/events/acs', { key: null, headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' } });
  assert.equal(options.status, 200, options.text);
  assert.equal(options.headers.get('webhook-allowed-origin'), 'eventgrid.azure.net');
  const noOrigin = await relay.request('OPTIONS', '/api/v1/events/acs', { key: null });
  assert.equal(noOrigin.status, 400, noOrigin.text);
});

test('ACS: bad input is refused with 4xx and changes nothing', FILE_TIMEOUT, async () => {
  const sent = await sendAndWait('acs-bad-input@example.net');
  const events = [
    { id: 'acs-bad-1', eventType: 'Microsoft.Communication.EmailDeliveryReportReceived', data: acsReport(sent, 'Bounced', '550 5.1.1 not found') },
  ];
  const cases: [string, Parameters<typeof postAcs>, number][] = [
    ['no secret', [events, { secret: null }], 401],
    ['wrong secret in the header', [events, { secret: 'wrong-secret-wrong-secret-wrong-secret' }], 401],
    ['wrong secret in the query', [events, { query: '?secret=wrong' }], 401],
    ['not JSON', ['{"id": ', {}], 400],
    ['not an array of events', ['"text"', {}], 400],
    ['a validation event without its code', [[{ id: 'v', eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent', data: {} }], {}], 400],
  ];
  for (const [what, args, status] of cases) {
    const answer = await postAcs(...args);
    assert.equal(answer.status, status, `${what}: ${answer.text}`);
    assert.equal(answer.headers.get('content-type'), 'application/problem+json', what);
  }
  assert.equal((await recipientOf(sent.id)).status, 'sent');
  assert.deepEqual(await suppressionsOf(sent.address), []);
});

test('ACS: a Bounced report bounces and suppresses; FilteredSpam as a CloudEvent bounces without suppressing', FILE_TIMEOUT, async () => {
  const bounced = await sendAndWait('acs-late-bounce@example.net');
  const answer = await postAcs([
    {
      id: 'acs-1',
      eventType: 'Microsoft.Communication.EmailDeliveryReportReceived',
      data: acsReport(bounced, 'Bounced', '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'),
    },
  ]);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.applied, 1, answer.text);
  const recipient = await recipientOf(bounced.id);
  assert.equal(recipient.status, 'bounced');
  assert.equal(recipient.category, 'invalid-recipient');
  assert.equal((await suppressionsOf(bounced.address))[0]?.source, 'bounce');

  const spam = await sendAndWait('acs-filtered@example.net');
  const cloudEvent = {
    specversion: '1.0',
    id: 'acs-2',
    type: 'Microsoft.Communication.EmailDeliveryReportReceived',
    source: '/subscriptions/x/resourceGroups/y/providers/microsoft.communication/communicationservices/z',
    time: new Date().toISOString(),
    data: acsReport(spam, 'FilteredSpam', 'Message filtered as spam'),
  };
  const viaQuery = await postAcs(cloudEvent, { query: `?secret=${ACS_SECRET}` });
  assert.equal(viaQuery.status, 200, viaQuery.text);
  assert.equal(viaQuery.body.applied, 1, viaQuery.text);
  const filtered = await recipientOf(spam.id);
  assert.equal(filtered.status, 'bounced');
  assert.equal(filtered.category, 'policy');
  assert.deepEqual(await suppressionsOf(spam.address), []);
  assert.ok(!(await relay.loggedSoFar()).includes(ACS_SECRET), 'the secret never reaches a log line');
});
