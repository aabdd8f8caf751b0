// The preparation step that adds the one-click unsubscribe headers: per recipient, only when the send
// asked for them, in front of the composed bytes, which stay as they were; and at no storage cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { verifyUnsubscribeToken } from '../../src/core/unsubscribeToken';
import { DELIVERY_STEPS, deliverTask } from '../../src/relay/deliverTask';
import { addUnsubscribeHeaders } from '../../src/relay/prepare/addUnsubscribeHeaders';
import type { DeliveryRow } from '../../src/relay/ports';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: a@example.net, b@example.net\r\nSubject: hi\r\nMessage-ID: <x@example.com>\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T10:00:00.000Z');
const SECRET = 'a-test-secret-of-at-least-32-characters';
const READY = { RELAY_PUBLIC_URL: 'https://relay.example.com', RELAY_UNSUBSCRIBE_SECRET: SECRET };
const HEADER =
  /^List-Unsubscribe: <https:\/\/relay\.example\.com\/api\/v1\/unsubscribe\/([A-Za-z0-9_.-]+)>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n/;

function row(messageId: string, address: string, changes: Partial<DeliveryRow> = {}): DeliveryRow {
  return {
    messageId,
    recipientKey: address.toLowerCase(),
    address,
    status: 'queued',
    attempts: 0,
    from: 'app@Example.com',
    subject: 'hi',
    tags: {},
    queuedAt: START,
    updatedAt: START,
    ...changes,
  };
}

/** Relays each address of one message and returns what the smart host got, by address. */
async function relayAll(settings: Record<string, string>, addresses: string[], changes: Partial<DeliveryRow> = {}) {
  const relay = new FakeRelay(settings, START);
  const id = newMessageId(START);
  const log = new FakeLog();
  for (const address of addresses) relay.deliveries.seed(row(id, address, changes));
  relay.clock.advance(1000);
  for (const address of addresses) await deliverTask(relay.deps, newDeliveryTask(id, address.toLowerCase(), 1, encodeInlineBody(RAW)), log);
  const sent = new Map(relay.smartHost.sent.map((s) => [s.envelope.to, s.raw.toString('latin1')]));
  return { relay, id, log, sent };
}

function tokenIn(raw: string): string {
  const match = HEADER.exec(raw);
  assert.ok(match, `no unsubscribe headers at the top of:\n${raw}`);
  return match[1];
}

test('it runs after the body is read and before the send', FILE_TIMEOUT, () => {
  const names = DELIVERY_STEPS.map((s) => s.name);
  assert.ok(names.indexOf('read the body') < names.indexOf(addUnsubscribeHeaders.name));
  assert.ok(names.indexOf(addUnsubscribeHeaders.name) < names.indexOf('send'));
});

test('each recipient gets both headers once, with its own token, in front of the unchanged bytes', FILE_TIMEOUT, async () => {
  const { relay, id, sent } = await relayAll(READY, ['A@example.net', 'b@example.net'], { unsubscribe: true });
  const tokens = ['A@example.net', 'b@example.net'].map((address) => {
    const raw = sent.get(address)!;
    assert.equal(raw.match(/^List-Unsubscribe:/gim)?.length, 1);
    assert.equal(raw.match(/^List-Unsubscribe-Post:/gim)?.length, 1);
    assert.equal(raw.replace(HEADER, ''), RAW.toString('latin1'), 'the composed message follows byte for byte');
    return tokenIn(raw);
  });
  assert.notEqual(tokens[0], tokens[1]);
  assert.deepEqual(
    tokens.map((t) => verifyUnsubscribeToken(t, SECRET)),
    [
      { ok: true, payload: { recipient: 'a@example.net', senderDomain: 'example.com', messageId: id, issuedAt: new Date(START.getTime() + 1000) } },
      { ok: true, payload: { recipient: 'b@example.net', senderDomain: 'example.com', messageId: id, issuedAt: new Date(START.getTime() + 1000) } },
    ],
  );
  // the stored body is not touched, and the headers add no storage call (the suppression lookup is the check's)
  assert.deepEqual(relay.calls, [
    'suppressions.find',
    'deliveries.get',
    'smartHost.send',
    'deliveries.replace',
    'events.record',
    'suppressions.find',
    'deliveries.get',
    'smartHost.send',
    'deliveries.replace',
    'events.record',
  ]);
});

test('a row without "unsubscribe" is sent as composed', FILE_TIMEOUT, async () => {
  const { sent } = await relayAll(READY, ['a@example.net']);
  assert.equal(sent.get('a@example.net'), RAW.toString('latin1'));
});

test('settings removed since the accept: sent without the headers, and a warning says why', FILE_TIMEOUT, async () => {
  const { sent, log } = await relayAll({}, ['a@example.net'], { unsubscribe: true });
  assert.equal(sent.get('a@example.net'), RAW.toString('latin1'));
  assert.match(
    log.text(),
    /warn: message .* to a@example\.net: sent without unsubscribe headers: RELAY_PUBLIC_URL or RELAY_UNSUBSCRIBE_SECRET is no longer set/,
  );
});

test('with a rotated secret the first key signs', FILE_TIMEOUT, async () => {
  const NEW = 'the-new-secret-of-at-least-32-characters';
  const { sent } = await relayAll({ ...READY, RELAY_UNSUBSCRIBE_SECRET: `${NEW},${SECRET}` }, ['a@example.net'], { unsubscribe: true });
  const token = tokenIn(sent.get('a@example.net')!);
  assert.ok(verifyUnsubscribeToken(token, NEW).ok);
  assert.equal(verifyUnsubscribeToken(token, SECRET).ok, false);
});
