// The DSN upload's use-case against the in-memory ports: the events it hands to applyUpstreamEvents
// (taken as a parameter here, so the test sees them), and its refusals, none of which touches storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DSN_MAX_BYTES, receiveDeliveryReport, type ApplyEvents } from '../../src/relay/receiveDeliveryReport';
import type { UpstreamEvent } from '../../src/relay/upstreamEvents';
import { PayloadTooLargeError, UnprocessableError, UnsupportedMediaTypeError, ValidationError } from '../../src/errors';
import { FakeLog, FakeRelay } from '../support/fakes';
import { repoRoot } from '../support/sourceFiles';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const NOW = new Date('2026-03-09T12:00:00.000Z');

function fixture(name: string): Buffer {
  return readFileSync(path.join(repoRoot, 'test', 'fixtures', 'dsn', name));
}

/** An apply function that records what it was handed and answers as if each event had been applied. */
function recordingApply(): { apply: ApplyEvents; handed: UpstreamEvent[][] } {
  const handed: UpstreamEvent[][] = [];
  const apply: ApplyEvents = (_deps, events) => {
    handed.push([...events]);
    return Promise.resolve({ applied: events.length, unchanged: 0, unmatched: 0 });
  };
  return { apply, handed };
}

function upload(name: string, contentType = 'message/rfc822') {
  return { contentType, body: fixture(name) };
}

test('a Postfix DSN becomes one event per recipient, with the correlation keys of the returned message', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  const { apply, handed } = recordingApply();
  const log = new FakeLog();
  const answer = await receiveDeliveryReport(relay.deps, upload('postfix-user-unknown.eml', 'multipart/report; report-type=delivery-status'), log, apply);
  assert.deepEqual(answer, { recipients: 2, applied: 2, unchanged: 0, unmatched: 0 });
  assert.equal(handed.length, 1);
  const [events = []] = handed;
  const common = {
    source: 'dsn',
    type: 'failed',
    smtpCode: 550,
    enhancedCode: '5.1.1',
    returnPath: 'bounces+0197f3a2-5c1e-7d40-9a3b-2f6c8e1d4b70.a1b2c3@bounce.example.com',
    internetMessageId: '<0197f3a2-5c1e-7d40-9a3b-2f6c8e1d4b70@example.com>',
    at: NOW, // no Last-Attempt-Date in Postfix's report
  };
  assert.deepEqual(
    events.map(({ eventId: _, ...e }) => e),
    [
      {
        ...common,
        recipient: 'nobody@example.net',
        response: '550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown in virtual mailbox table',
      },
      {
        ...common,
        recipient: 'team@example.net',
        response: '550 5.1.1 <sales@example.net>: Recipient address rejected: User unknown in virtual mailbox table',
      },
    ],
  );
  const ids = events.map((e) => e.eventId);
  assert.equal(new Set(ids).size, 2, 'one id per recipient');
  assert.ok(ids.every((id) => /^dsn-[0-9a-f]{32}$/.test(id ?? '')));
  assert.deepEqual(relay.calls, [], "the use-case itself touches no storage: applying is the apply function's");
  assert.match(log.text(), /DSN rfc3464 from mail\.example\.net: 2 failed; applied 2, unchanged 0, unmatched 0/);
  assert.doesNotMatch(log.text(), /nobody@example\.net/, 'no address in the log line');
});

test('the same DSN uploaded twice names the same event ids, so the apply step can apply it once', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  const { apply, handed } = recordingApply();
  await receiveDeliveryReport(relay.deps, upload('gmail-address-not-found.eml'), new FakeLog(), apply);
  relay.clock.advance(60_000);
  await receiveDeliveryReport(relay.deps, upload('gmail-address-not-found.eml'), new FakeLog(), apply);
  assert.deepEqual(
    handed.map((events) => events.map((e) => e.eventId)),
    [handed[0]?.map((e) => e.eventId), handed[0]?.map((e) => e.eventId)],
  );
  // Gmail gives a Last-Attempt-Date: the event is dated by it, not by the upload
  assert.equal(handed[1]?.[0]?.at.toISOString(), '2026-03-05T09:02:09.000Z');
});

test('a delayed DSN is handed on as "delayed" (the apply step changes nothing for it)', FILE_TIMEOUT, async () => {
  const { apply, handed } = recordingApply();
  await receiveDeliveryReport(new FakeRelay({}, NOW).deps, upload('postfix-delayed.eml'), new FakeLog(), apply);
  assert.deepEqual(
    handed[0]?.map((e) => [e.type, e.enhancedCode, e.smtpCode]),
    [['delayed', '4.4.1', undefined]],
  );
});

test('au/KDDI, Exchange and a forwarded DSN: each recipient, reply and Message-ID reaches the event', FILE_TIMEOUT, async () => {
  const cases: [string, Partial<UpstreamEvent>][] = [
    [
      'au-kddi-user-unknown.eml',
      { recipient: 'no-such-user@ezweb.ne.jp', smtpCode: 550, enhancedCode: undefined, response: '550 <no-such-user@ezweb.ne.jp>: User unknown' },
    ],
    ['exchange-online-recipient-not-found.eml', { recipient: 'j.doe@contoso.com', smtpCode: 550, enhancedCode: '5.1.10' }],
    ['forwarded-postfix.eml', { recipient: 'nobody@example.net', internetMessageId: '<0197f3a2-5c1e-7d40-9a3b-2f6c8e1d4b70@example.com>' }],
  ];
  for (const [name, expected] of cases) {
    const { apply, handed } = recordingApply();
    await receiveDeliveryReport(new FakeRelay({}, NOW).deps, upload(name, 'application/octet-stream'), new FakeLog(), apply);
    const first = handed[0]?.[0];
    assert.ok(first, name);
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(first[key as keyof UpstreamEvent], value, `${name}: ${key}`);
    assert.match(first.internetMessageId ?? '', /^<0197f3/, name);
  }
});

test('without an apply function it uses applyUpstreamEvents', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  const answer = await receiveDeliveryReport(relay.deps, upload('docomo-unknown-user.eml'), new FakeLog());
  assert.equal(answer.recipients, 1);
  assert.equal(answer.applied + answer.unchanged + answer.unmatched, 1, 'every event is accounted for');
});

test('refusals: too large 413, wrong type 415, no message 400, no report 422; nothing is applied', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, NOW);
  const { apply, handed } = recordingApply();
  const refused = (input: { contentType: string | null; body: Buffer; declaredLength?: number }, type: new (...args: never[]) => Error, detail: RegExp) =>
    assert.rejects(receiveDeliveryReport(relay.deps, input, new FakeLog(), apply), (err: Error) => {
      assert.ok(err instanceof type, `${err.name}: ${err.message}`);
      assert.match(err.message, detail);
      return true;
    });
  const big = Buffer.concat([fixture('postfix-user-unknown.eml'), Buffer.alloc(DSN_MAX_BYTES, 'x')]);
  await refused({ contentType: 'message/rfc822', body: big }, PayloadTooLargeError, /at most 1048576/);
  await refused({ contentType: 'message/rfc822', body: Buffer.alloc(0), declaredLength: DSN_MAX_BYTES + 1 }, PayloadTooLargeError, /1048577 bytes/);
  await refused({ contentType: 'application/json', body: fixture('postfix-user-unknown.eml') }, UnsupportedMediaTypeError, /"application\/json"/);
  await refused({ contentType: null, body: fixture('postfix-user-unknown.eml') }, UnsupportedMediaTypeError, /\(none\)/);
  await refused({ contentType: 'message/rfc822', body: fixture('not-a-message.txt') }, ValidationError, /^\(body\): is not a mail message/);
  await refused({ contentType: 'message/rfc822', body: fixture('report-without-status.eml') }, UnprocessableError, /no message\/delivery-status part/);
  await refused({ contentType: 'message/rfc822', body: fixture('report-without-recipients.eml') }, UnprocessableError, /per-recipient/);
  assert.deepEqual(handed, []);
  assert.deepEqual(relay.calls, []);
});
