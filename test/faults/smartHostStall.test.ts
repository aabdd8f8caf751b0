// Fault: the smart host stops answering after DATA, past SMARTHOST_SOCKET_TIMEOUT_SECONDS. The relay
// gives up on the attempt, defers the recipient and sends it on the retry. Whether the recipient then
// has one copy or two depends on the smart host: one that stalled before storing the message has
// nothing (the development smart host's stallData); one that stored it and then lost its reply
// (storeThenStall) delivers it a second time on the retry. No SMTP client can tell the two apart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageEnvelope } from '../../src/local/devSmartHost';
import { message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { eventsAfter, outcomeHistory } from '../support/storedResults';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const NOT_STORED = 'stall-unstored@example.net';
const STORED = 'stall-stored@example.net';

let relay: RelayHarness;
/** DATA commands the smart host left unanswered, per recipient */
const stalls = new Map<string, number>();

/** Stalls the first DATA to `recipient`, and counts it. */
function firstDataTo(recipient: string) {
  return (envelope: MessageEnvelope): boolean => {
    if (!envelope.to.includes(recipient) || stalls.has(recipient)) return false;
    stalls.set(recipient, 1);
    return true;
  };
}

before(async () => {
  relay = await startRelayHarness({
    env: { SMARTHOST_SOCKET_TIMEOUT_SECONDS: '2' },
    smartHost: { rules: { stallData: firstDataTo(NOT_STORED), storeThenStall: firstDataTo(STORED) } },
  });
});
after(async () => {
  await relay?.stop();
});

async function stalledThenSent(recipient: string) {
  const answer = await relay.send(message({ to: recipient }));
  assert.equal(answer.status, 202, answer.text);
  const deferred = await relay.waitForStatus(answer.body.id, (v) => v.recipients[0].status === 'deferred');
  assert.equal(deferred.recipients[0].smtpCode, null, 'a timeout has no SMTP reply');
  assert.match(deferred.recipients[0].response!, /^ETIMEDOUT: /);
  const sent = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
  assert.equal(sent.recipients[0].status, 'sent');
  assert.equal(sent.recipients[0].attempts, 2);
  assert.deepEqual(outcomeHistory(await eventsAfter(relay, answer.body.id, [`${recipient}: sent`]), recipient), ['deferred 1 -', 'sent 2 250']);
}

test('stalled before storing: deferred on the timeout, sent on the retry, one copy', FILE_TIMEOUT, async () => {
  await stalledThenSent(NOT_STORED);
  assert.equal(stalls.get(NOT_STORED), 1);
  assert.equal(relay.smartHost.countFor(NOT_STORED), 1);
});

test('stored, then the reply never came: deferred, sent on the retry, and delivered twice', FILE_TIMEOUT, async () => {
  await stalledThenSent(STORED);
  assert.equal(stalls.get(STORED), 1);
  assert.equal(relay.smartHost.countFor(STORED), 2);
});
