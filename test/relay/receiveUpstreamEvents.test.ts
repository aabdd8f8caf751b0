// The event endpoints' use-cases against the in-memory ports: unset settings answer "not configured"
// before anything is read, and an unauthenticated request reads nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { NotConfiguredError, RelayError, UnauthorizedError } from '../../src/errors';
import { acsAllowedOrigin, receiveAcsEvents, receiveSendGridEvents } from '../../src/relay/receiveUpstreamEvents';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const BODY = Buffer.from('[{"event":"bounce","email":"x@example.net","smtp-id":"<a@b>"}]');

test('unset settings: 503 not configured, nothing read', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  await assert.rejects(receiveSendGridEvents(relay.deps, { body: BODY, signature: 'x', timestamp: '1' }, new FakeLog()), (err) => {
    assert.ok(err instanceof NotConfiguredError);
    assert.equal(err.status, 503);
    assert.match(err.message, /RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY is not set/);
    return true;
  });
  await assert.rejects(receiveAcsEvents(relay.deps, { body: BODY, secret: 'x' }, new FakeLog()), /RELAY_ACS_EVENTS_SECRET is not set/);
  assert.throws(() => acsAllowedOrigin(relay.deps, 'eventgrid.azure.net'), NotConfiguredError);
  const garbled = new FakeRelay({ RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY: 'bm90IGEga2V5' });
  await assert.rejects(receiveSendGridEvents(garbled.deps, { body: BODY, signature: 'x', timestamp: '1' }, new FakeLog()), /not a public key/);
  assert.deepEqual([...relay.calls, ...garbled.calls], []);
});

test('a signed batch is applied; an unsigned one reads nothing', FILE_TIMEOUT, async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const relay = new FakeRelay({ RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY: publicKey.export({ format: 'pem', type: 'spki' }).toString() });
  const timestamp = String(Math.floor(relay.clock.now().getTime() / 1000));
  await assert.rejects(receiveSendGridEvents(relay.deps, { body: BODY, signature: null, timestamp }, new FakeLog()), UnauthorizedError);
  assert.deepEqual(relay.calls, []);
  const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), BODY]), privateKey).toString('base64');
  const answer = await receiveSendGridEvents(relay.deps, { body: BODY, signature, timestamp }, new FakeLog());
  assert.deepEqual(answer, { received: 1, applied: 0, unchanged: 0, unmatched: 1, skipped: 0 });
});

const SEED = 20261201;
const ACS_SECRET = 'acs-secret-acs-secret-acs-secret-0123';

/** Any JSON an upstream (or anyone) might send, leaning towards event-shaped objects. */
const eventish = fc.record(
  {
    event: fc.oneof(fc.constantFrom('bounce', 'dropped', 'spamreport', 'unsubscribe', 'delivered', 'open'), fc.string()),
    email: fc.oneof(fc.emailAddress(), fc.string(), fc.integer()),
    timestamp: fc.oneof(fc.integer(), fc.string(), fc.double()),
    'smtp-id': fc.oneof(fc.string(), fc.constant('<0195d3a0-0000-7000-8000-000000000000@example.com>')),
    sg_event_id: fc.string(),
    sg_message_id: fc.string(),
    reason: fc.string(),
    status: fc.oneof(fc.string(), fc.constantFrom('5.1.1', '4.2.2')),
    eventType: fc.constantFrom('Microsoft.Communication.EmailDeliveryReportReceived', 'Microsoft.EventGrid.SubscriptionValidationEvent', 'x'),
    specversion: fc.constantFrom('1.0', 1),
    data: fc.oneof(fc.jsonValue(), fc.record({ status: fc.string(), recipient: fc.string(), validationCode: fc.oneof(fc.string(), fc.integer()) })),
  },
  { requiredKeys: [] },
);
const anyBody = fc.oneof(fc.jsonValue(), fc.array(eventish, { maxLength: 5 }), eventish).map((v) => Buffer.from(JSON.stringify(v) ?? 'null'));

test('whatever an authenticated upstream sends, the answer is 200 or a named 4xx, never an unexpected error', FILE_TIMEOUT, async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const relay = new FakeRelay({
    RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    RELAY_ACS_EVENTS_SECRET: ACS_SECRET,
  });
  const timestamp = String(Math.floor(relay.clock.now().getTime() / 1000));
  await fc.assert(
    fc.asyncProperty(anyBody, async (body) => {
      const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), privateKey).toString('base64');
      for (const receive of [
        () => receiveSendGridEvents(relay.deps, { body, signature, timestamp }, new FakeLog()),
        () => receiveAcsEvents(relay.deps, { body, secret: ACS_SECRET }, new FakeLog()),
      ]) {
        try {
          await receive();
        } catch (err) {
          assert.ok(err instanceof RelayError && err.status >= 400 && err.status < 500, `not a named 4xx: ${String(err)}`);
        }
      }
    }),
    { seed: SEED, numRuns: 300 },
  );
});
