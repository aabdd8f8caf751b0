// The preparation step that DKIM-signs: last before the send, so the per-recipient unsubscribe
// headers are signed; with the header-From domain's key only; once per attempt, at no storage cost.
// (The signatures themselves are verified independently in test/core/dkimSign.test.ts and, through
// the real functions, in test/functions/dkimSigning.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { DELIVERY_STEPS, deliverTask } from '../../src/relay/deliverTask';
import { PREPARE_STEPS } from '../../src/relay/prepare';
import { addUnsubscribeHeaders } from '../../src/relay/prepare/addUnsubscribeHeaders';
import { signDkim } from '../../src/relay/prepare/signDkim';
import type { DeliveryRow } from '../../src/relay/ports';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: a@example.net\r\nSubject: hi\r\nMessage-ID: <x@example.com>\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T10:00:00.000Z');
const KEY = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const SIGNING = {
  RELAY_POLICY_JSON: JSON.stringify({ dkim: { 'example.com': { selector: 'relay2026', privateKeySetting: 'DKIM_EXAMPLE_COM_KEY' } } }),
  DKIM_EXAMPLE_COM_KEY: KEY,
  RELAY_PUBLIC_URL: 'https://relay.example.com',
  RELAY_UNSUBSCRIBE_SECRET: 'a-test-secret-of-at-least-32-characters',
};

function row(messageId: string, address: string, changes: Partial<DeliveryRow> = {}): DeliveryRow {
  return {
    messageId,
    recipientKey: address.toLowerCase(),
    address,
    status: 'queued',
    attempts: 0,
    from: 'app@example.com',
    subject: 'hi',
    tags: {},
    queuedAt: START,
    updatedAt: START,
    ...changes,
  };
}

async function relayOne(settings: Record<string, string>, changes: Partial<DeliveryRow> = {}) {
  const relay = new FakeRelay(settings, START);
  const id = newMessageId(START);
  relay.deliveries.seed(row(id, 'a@example.net', changes));
  relay.clock.advance(1000);
  await deliverTask(relay.deps, newDeliveryTask(id, 'a@example.net', 1, encodeInlineBody(RAW)), new FakeLog());
  assert.equal(relay.smartHost.sent.length, 1);
  return { relay, raw: relay.smartHost.sent[0].raw.toString('latin1') };
}

test('it is the last preparation step: after the unsubscribe headers, before the lease and the send', FILE_TIMEOUT, () => {
  assert.equal(PREPARE_STEPS.at(-1), signDkim);
  const names = DELIVERY_STEPS.map((s) => s.name);
  assert.ok(names.indexOf(addUnsubscribeHeaders.name) < names.indexOf(signDkim.name));
  assert.ok(names.indexOf(signDkim.name) < names.indexOf('take a concurrency lease'));
  assert.ok(names.indexOf(signDkim.name) < names.indexOf('send'));
});

test('the From domain with a key: one signature on top, over the unsubscribe headers, at the clock time', FILE_TIMEOUT, async () => {
  const { raw, relay } = await relayOne(SIGNING, { unsubscribe: true });
  const [signature = '', rest = ''] = raw.split(/\r\n(?=List-Unsubscribe:)/);
  assert.match(signature, /^DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed\/relaxed; d=example\.com;/);
  assert.equal(raw.match(/^DKIM-Signature:/gm)?.length, 1, 'signed once');
  const h = /\bh=([^;]+);/.exec(signature.replace(/\r\n\s+/g, ' '))?.[1] ?? '';
  assert.deepEqual(
    h.split(':').map((k) => k.trim()),
    ['Message-ID', 'Subject', 'To', 'From', 'List-Unsubscribe-Post', 'List-Unsubscribe', 'From'],
  );
  assert.match(signature, new RegExp(`\\bt=${(START.getTime() + 1000) / 1000};`), 't= is deps.now');
  assert.ok(rest.endsWith(RAW.toString('latin1')), 'the composed bytes follow unchanged');
  // signing reads nothing from storage: the same calls as an unsigned delivery
  const unsigned = await relayOne({ ...SIGNING, RELAY_POLICY_JSON: '{}' }, { unsubscribe: true });
  assert.deepEqual(relay.calls, unsigned.relay.calls);
});

test('a From domain without a key is sent as composed', FILE_TIMEOUT, async () => {
  const { raw } = await relayOne({ ...SIGNING, RELAY_ALLOWED_SENDER_DOMAINS: 'example.com,example.org' }, { from: 'app@example.org' });
  assert.equal(raw, RAW.toString('latin1'));
});

test('the key is the header From domain, compared lower case', FILE_TIMEOUT, async () => {
  const { raw } = await relayOne(SIGNING, { from: 'App@Example.COM' });
  assert.match(raw, /^DKIM-Signature: .*d=example\.com;/);
});
