// A destination's maxMessageBytes at send, against the in-memory ports (rows of older versions, which
// the accept did not decide): a recipient whose message is larger is not sent, ends `bounced` with
// category message-too-large and a response naming the limit, and is neither suppressed nor counted;
// the check reads no storage of its own. The accept's decision: test/relay/acceptOversized.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { deliverTask } from '../../src/relay/deliverTask';
import type { DeliveryRow } from '../../src/relay/ports';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const START = new Date('2026-03-01T10:00:00.000Z');
const RAW = Buffer.from(`From: app@example.com\r\nTo: taro@ezweb.ne.jp\r\nSubject: hi\r\n\r\n${'x'.repeat(400)}\r\n`);
const POLICY = JSON.stringify({ destinations: { small: { domains: ['small.example'], maxMessageBytes: 100 } } });

function accepted(recipient: string, changes: Partial<DeliveryRow> = {}, settings: Record<string, string> = { RELAY_POLICY_JSON: POLICY }) {
  const relay = new FakeRelay(settings, START);
  const id = newMessageId(START);
  relay.deliveries.seed(queuedRow(id, START, { recipientKey: recipient, address: recipient, messageBytes: RAW.length, ...changes }));
  relay.clock.advance(1000);
  const task = newDeliveryTask(id, recipient, 1, encodeInlineBody(RAW));
  return { relay, task, log: new FakeLog(), row: () => relay.deliveries.row(id, recipient)! };
}

test('over the destination limit: not sent, bounced with message-too-large, the response names the limit', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted('taro@small.example');
  await deliverTask(relay.deps, task, log);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.deepEqual(relay.calls, ['suppressions.find', 'deliveries.get', 'deliveries.replace', 'events.record']);
  assert.equal(row().status, 'bounced');
  assert.equal(row().category, 'message-too-large');
  assert.equal(row().attempts, 0);
  assert.equal(row().response, `not sent: the message is ${RAW.length} bytes; destination small accepts at most 100 (maxMessageBytes)`);
  assert.equal(relay.suppressions.entries.size, 0, 'the address is not suppressed');
  assert.deepEqual(
    relay.events.recorded.map((e) => e.row.status),
    ['bounced'],
  );
  assert.match(log.text(), /not sent: the message is \d+ bytes; destination small accepts at most 100/);
});

test('the built-in jp-au preset refuses more than 3,000,000 bytes; a subdomain is the same destination', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted('taro@biz.ezweb.ne.jp', { messageBytes: 3_000_001 }, {});
  await deliverTask(relay.deps, task, log);
  assert.equal(relay.smartHost.sent.length, 0);
  assert.equal(row().status, 'bounced');
  assert.match(row().response ?? '', /destination jp-au accepts at most 3000000 \(maxMessageBytes\)/);
});

test('at the limit, under it, or to a domain without one: sent as before, with no extra storage call', FILE_TIMEOUT, async () => {
  for (const [recipient, bytes] of [
    ['taro@small.example', 100],
    ['taro@small.example', 99],
    ['user@example.net', 10_000_000],
  ] as const) {
    const { relay, task, log, row } = accepted(recipient, { messageBytes: bytes });
    await deliverTask(relay.deps, task, log);
    assert.equal(row().status, 'sent', `${recipient} with ${bytes} bytes`);
    assert.equal(relay.smartHost.sent.length, 1);
    assert.deepEqual(relay.calls.slice(0, 2), ['suppressions.find', 'deliveries.get']);
    assert.equal(relay.calls.filter((c) => c === 'deliveries.replace').length, 1, 'only the outcome is written');
  }
});

test('a row of an older version, without the size, is measured by the body its task carries', FILE_TIMEOUT, async () => {
  const { relay, task, log, row } = accepted('taro@small.example', { messageBytes: undefined });
  await deliverTask(relay.deps, task, log);
  assert.equal(row().status, 'bounced');
  assert.equal(row().response, `not sent: the message is ${RAW.length} bytes; destination small accepts at most 100 (maxMessageBytes)`);
});
