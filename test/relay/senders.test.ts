// The operator's sender endpoints against the in-memory ports: only the relay's own sender domains
// have a view, a bad domain or pause body is refused before anything is read or written, and
// storage that does not answer is a 503.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getSenderView, pauseSenderDomain, resumeSenderDomain } from '../../src/relay/senders';
import { NotFoundError, PayloadTooLargeError, StorageUnavailableError, UnsupportedMediaTypeError, ValidationError } from '../../src/errors';
import { FakeLog, FakeRelay } from '../support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const json = (value: unknown) => ({ contentType: 'application/json', body: Buffer.from(JSON.stringify(value)) });

test('an allowed domain never seen has a view with zero counts and the thresholds in force', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({ RELAY_ALLOWED_SENDER_DOMAINS: 'example.com,Example.JP' });
  const view = await getSenderView(relay.deps, 'EXAMPLE.jp');
  assert.equal(view.domain, 'example.jp');
  assert.equal(view.state, 'active');
  assert.equal(view.attempts, 0);
  assert.deepEqual(view.thresholds, relay.config.breaker);
});

test('a domain that is not one of the relay senders is not found; a malformed one is refused', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  await assert.rejects(getSenderView(relay.deps, 'example.org'), NotFoundError);
  for (const bad of ['', 'localhost', 'exa mple.com', '[127.0.0.1]', '10.0.0.1', 'a..b', `${'a'.repeat(250)}.com`, "o'brien.com", 'example.com\r\n']) {
    await assert.rejects(getSenderView(relay.deps, bad), ValidationError, JSON.stringify(bad));
    await assert.rejects(resumeSenderDomain(relay.deps, bad, new FakeLog()), ValidationError);
  }
  await assert.rejects(resumeSenderDomain(relay.deps, 'example.org', new FakeLog()), NotFoundError);
  assert.deepEqual(relay.calls, [], 'nothing read or written');
});

test('resume lifts a pause and is idempotent: an active domain is answered as it is', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  await relay.senders.pause('example.com', 'bounces');
  const log = new FakeLog();
  const resumed = await resumeSenderDomain(relay.deps, 'example.com', log);
  assert.equal(resumed.state, 'active');
  assert.equal(resumed.resumedAt, relay.clock.now().toISOString());
  const again = await resumeSenderDomain(relay.deps, 'example.com', log);
  assert.equal(again.state, 'active');
  assert.match(log.text(), /sender example\.com: resume asked for; now active/);
});

test('pause takes a reason; a bad body is refused and pauses nothing', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  const log = new FakeLog();
  const refused: [unknown, new (...args: never[]) => Error][] = [
    [{ contentType: 'text/plain', body: Buffer.from('{"reason":"x"}') }, UnsupportedMediaTypeError],
    [{ contentType: null, body: Buffer.alloc(0) }, UnsupportedMediaTypeError],
    [{ contentType: 'application/json', body: Buffer.from('{"reason":') }, ValidationError],
    [json([]), ValidationError],
    [json({}), ValidationError],
    [json({ reason: '  ' }), ValidationError],
    [json({ reason: 42 }), ValidationError],
    [json({ reason: 'x', until: 'tomorrow' }), ValidationError],
    [json({ reason: 'line\r\nbreak' }), ValidationError],
    [json({ reason: 'x'.repeat(201) }), ValidationError],
    [{ contentType: 'application/json', body: Buffer.alloc(5000, 0x20) }, PayloadTooLargeError],
  ];
  for (const [input, type] of refused) {
    await assert.rejects(pauseSenderDomain(relay.deps, 'example.com', input as never, log), type, JSON.stringify(input));
  }
  assert.equal(relay.senders.pauses.size, 0);
  const view = await pauseSenderDomain(relay.deps, 'example.com', json({ reason: ' complaints from a customer ' }), log);
  assert.equal(view.state, 'paused');
  assert.equal(relay.senders.pauses.get('example.com')?.reason, 'complaints from a customer');
});

test('storage that does not answer is a 503', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay();
  relay.fail('senders.view', new Error('ECONNREFUSED'));
  await assert.rejects(getSenderView(relay.deps, 'example.com'), StorageUnavailableError);
  relay.fail('senders.resume', new Error('ECONNREFUSED'));
  await assert.rejects(resumeSenderDomain(relay.deps, 'example.com', new FakeLog()), StorageUnavailableError);
});
