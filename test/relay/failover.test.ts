// Failover along a recipient's route, against the in-memory ports: which outcomes of the first smart
// host go on to the second (one row per outcome, classified by the real bounce rules), which decide;
// the host whose reply decides is on the row; each failure counts against the host's health and a
// reply resets it; a failover host's own limits are kept (its rate slot, its concurrency place); the
// same bytes go to both hosts; and a recipient no route matches goes through `default` alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySmtpError, type SmtpErrorLike, type SmtpOutcome } from '../../src/core/delivery';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { newMessageId } from '../../src/core/ids';
import { deliveryAttemptBoundMs } from '../../src/config';
import { deliverTask } from '../../src/relay/deliverTask';
import { failoverWindowMs } from '../../src/relay/steps/sendAlongRoute';
import { policyOf } from '../support/checkedPolicy';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: rcpt@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T10:00:00.000Z');
const ACCEPTED: SmtpOutcome = { kind: 'accepted', smtpCode: 250, enhancedCode: '2.0.0', response: '250 2.0.0 OK queued as SECOND' };

const SECOND = { host: 'smtp.second.example', username: 'relay', passwordSetting: 'SECOND_PASSWORD' };
const TWO_HOSTS = { smartHosts: { second: SECOND }, routes: [{ smartHosts: ['default', 'second'] }] };

function relayWith(policyJson: unknown = TWO_HOSTS) {
  const relay = new FakeRelay({}, START);
  relay.config.policy = policyOf(policyJson);
  const second = relay.addSmartHost('second');
  second.replies = [ACCEPTED];
  return { relay, second, log: new FakeLog() };
}

function accept(relay: FakeRelay, recipient = 'rcpt@example.net') {
  const id = newMessageId(relay.clock.now());
  relay.deliveries.seed(queuedRow(id, relay.clock.now(), { recipientKey: recipient, address: recipient }));
  return { id, recipient, task: newDeliveryTask(id, recipient, 1, encodeInlineBody(RAW)) };
}

const FAILS_OVER: [string, SmtpErrorLike][] = [
  ['a refused connection', { code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:1' }],
  ['a dropped connection', { code: 'ECONNECTION', message: 'Connection closed unexpectedly' }],
  ['a timeout', { code: 'ETIMEDOUT', message: 'Connection timeout' }],
  ['a TLS failure', { code: 'ETLS', message: 'Error initiating TLS' }],
  ["the relay's login refused (535)", { code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Authentication credentials invalid' }],
  ['421 closing the channel', { code: 'EENVELOPE', responseCode: 421, response: '421 4.3.2 Service not available, closing transmission channel' }],
  ['a 4xx rate limit', { code: 'EENVELOPE', responseCode: 451, response: '451 4.7.1 Rate limit exceeded, try again later' }],
];

const DECIDES: [string, SmtpErrorLike | 'accepted', string][] = [
  ['a 250', 'accepted', 'sent'],
  ['a 5xx user unknown', { code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 User unknown' }, 'bounced'],
  ['a 5xx rate limit', { code: 'EENVELOPE', responseCode: 554, response: '554 5.7.1 Too many messages, rate limit exceeded' }, 'deferred'],
  ['a 4xx mailbox full', { code: 'EENVELOPE', responseCode: 452, response: '452 4.2.2 Mailbox full' }, 'deferred'],
  ['a 4xx greylisting', { code: 'EENVELOPE', responseCode: 450, response: '450 4.7.1 Greylisted, try again later' }, 'deferred'],
];

for (const [what, error] of FAILS_OVER) {
  test(`fails over on ${what}: the second host sends, and the row names it`, FILE_TIMEOUT, async () => {
    const { relay, second, log } = relayWith();
    relay.smartHost.replies = [classifySmtpError(error)];
    const { id, recipient, task } = accept(relay);
    await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
    const row = relay.deliveries.row(id, recipient);
    assert.equal(row?.status, 'sent');
    assert.equal(row?.smartHost, 'second');
    assert.equal(row?.response, '250 2.0.0 OK queued as SECOND');
    assert.equal(relay.smartHost.sent.length, 1);
    assert.equal(second.sent.length, 1);
    assert.deepEqual(second.sent[0]?.raw, relay.smartHost.sent[0]?.raw, 'the same bytes go to both');
    assert.deepEqual(second.sent[0]?.envelope, relay.smartHost.sent[0]?.envelope);
    assert.deepEqual(
      relay.smartHostHealth.recorded.map((r) => r.name),
      ['default'],
      'the failure counts against the first',
    );
    assert.match(relay.smartHostHealth.recorded[0]?.reason ?? '', /^(connection|timeout|tls|auth|rate-limit|other): /);
    assert.match(log.text(), /failing over to smart host second/);
  });
}

for (const [what, reply, status] of DECIDES) {
  test(`does not fail over on ${what}: the first host's reply decides (${status})`, FILE_TIMEOUT, async () => {
    const { relay, second, log } = relayWith();
    relay.smartHost.replies = [reply === 'accepted' ? ACCEPTED : classifySmtpError(reply)];
    const { id, recipient, task } = accept(relay);
    await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
    const row = relay.deliveries.row(id, recipient);
    assert.equal(row?.status, status);
    assert.equal(row?.smartHost, 'default');
    assert.equal(second.sent.length, 0, 'the second host is not asked');
    assert.deepEqual(relay.smartHostHealth.recorded, [], 'a reply is no failure of the host');
  });
}

test('both hosts fail: the last failure decides, each counts against its host', FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith();
  relay.smartHost.replies = [classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:1' })];
  second.replies = [classifySmtpError({ code: 'ETIMEDOUT', message: 'Connection timeout' })];
  const { id, recipient, task } = accept(relay);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  const row = relay.deliveries.row(id, recipient);
  assert.equal(row?.status, 'deferred');
  assert.equal(row?.smartHost, 'second');
  assert.equal(row?.category, 'timeout');
  assert.deepEqual(
    relay.smartHostHealth.recorded.map((r) => r.name),
    ['default', 'second'],
  );
});

test("a reply after failures ends the host's run of failures; a cooling host is skipped, then tried again after", FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith();
  const refused = classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:1' });
  relay.smartHost.replies = [refused, refused, refused, ACCEPTED];
  for (let i = 0; i < 3; i++) {
    const one = accept(relay, `r${i}@example.net`);
    await deliverTask(relay.deps, one.task, log, { queueMessageId: `q-${i}`, dequeueCount: 1 });
    assert.equal(relay.deliveries.row(one.id, one.recipient)?.smartHost, 'second');
  }
  const until = relay.smartHostHealth.coolOffs.get('default');
  assert.ok(until, 'three failures in a row cool default off');
  const skipped = accept(relay, 'r3@example.net');
  await deliverTask(relay.deps, skipped.task, log, { queueMessageId: 'q-3', dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 3, 'default is skipped while it cools off');
  assert.equal(relay.deliveries.row(skipped.id, skipped.recipient)?.smartHost, 'second');
  relay.clock.current = new Date(until.getTime() + 1000);
  const back = accept(relay, 'r4@example.net');
  await deliverTask(relay.deps, back.task, log, { queueMessageId: 'q-4', dequeueCount: 1 });
  assert.equal(relay.smartHost.sent.length, 4, 'default is tried again after its cool-off');
  assert.equal(relay.deliveries.row(back.id, back.recipient)?.smartHost, 'default');
  assert.equal(second.sent.length, 4);
});

test('a failover host whose next rate slot is too far is not used: the first reply decides, the recipient defers', FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith({ smartHosts: { second: { ...SECOND, rate: '1/h' } }, routes: [{ smartHosts: ['default', 'second'] }] });
  // second's next slot is in an hour
  relay.throttles.slots.set('smartHost:second', new Date(START.getTime() + 3600_000));
  relay.smartHost.replies = [classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:1' })];
  const { id, recipient, task } = accept(relay);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  const row = relay.deliveries.row(id, recipient);
  assert.equal(second.sent.length, 0);
  assert.equal(row?.status, 'deferred');
  assert.equal(row?.smartHost, 'default');
  assert.equal(row?.category, 'connection');
  assert.match(log.text(), /not failing over to second: its next slot is at/);
});

test('a failover host with its rate free takes a slot under its own limit', FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith({ smartHosts: { second: { ...SECOND, rate: '10/min' } }, routes: [{ smartHosts: ['default', 'second'] }] });
  relay.smartHost.replies = [classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:1' })];
  const { task } = accept(relay);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(second.sent.length, 1);
  assert.deepEqual(
    relay.throttles.reserved.map((r) => r.keys),
    [['smartHost:second']],
  );
});

test('a failover host with every concurrency place taken is skipped for the next one', FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith({
    smartHosts: { second: { ...SECOND, concurrency: 1 }, third: { ...SECOND, host: 'smtp.third.example' } },
    routes: [{ smartHosts: ['default', 'second', 'third'] }],
  });
  const third = relay.addSmartHost('third');
  await relay.throttles.acquire('smartHost:second', 1, 'someone else', new Date(START.getTime() + 600_000), relay.clock.now());
  relay.smartHost.replies = [classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:1' })];
  const { id, recipient, task } = accept(relay);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(second.sent.length, 0);
  assert.equal(third.sent.length, 1);
  assert.equal(relay.deliveries.row(id, recipient)?.smartHost, 'third');
  assert.equal(relay.throttles.leases.get('smartHost:second')?.length, 1, "only the other one's lease");
});

test('a failover host with concurrency gets a lease for its send, given back after it', FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith({ smartHosts: { second: { ...SECOND, concurrency: 2 } }, routes: [{ smartHosts: ['default', 'second'] }] });
  relay.smartHost.replies = [classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:1' })];
  const { task } = accept(relay);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(second.sent.length, 1);
  assert.ok(relay.calls.includes('throttles.acquire'));
  assert.equal(relay.throttles.leases.get('smartHost:second')?.length ?? 0, 0, 'released');
});

test('a recipient no route matches goes through default alone: no failover, no health counted', FILE_TIMEOUT, async () => {
  const { relay, second, log } = relayWith({
    smartHosts: { second: SECOND },
    routes: [{ match: { recipientDomains: ['docomo.ne.jp'] }, smartHosts: ['second'] }],
  });
  relay.smartHost.replies = [classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:1' })];
  const { id, recipient, task } = accept(relay);
  await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 1 });
  assert.equal(second.sent.length, 0);
  assert.equal(relay.deliveries.row(id, recipient)?.status, 'deferred');
  assert.equal(relay.deliveries.row(id, recipient)?.smartHost, 'default');
  assert.deepEqual(relay.smartHostHealth.recorded, []);
});

test("a claim's lease covers the failover window when the route has a second host", FILE_TIMEOUT, async () => {
  for (const [policy, extraMs] of [
    [TWO_HOSTS, 30_000],
    [{}, 0],
  ] as const) {
    const { relay, log } = relayWith(policy);
    const { id, recipient, task } = accept(relay);
    let leaseUntil: Date | undefined;
    const sendFirst = relay.smartHost.send.bind(relay.smartHost);
    relay.smartHost.send = (envelope, raw) => {
      leaseUntil = relay.deliveries.row(id, recipient)?.leaseUntil;
      return sendFirst(envelope, raw);
    };
    // a redelivered task claims the row before it sends
    await deliverTask(relay.deps, task, log, { queueMessageId: 'q-1', dequeueCount: 2 });
    assert.deepEqual(leaseUntil, new Date(START.getTime() + deliveryAttemptBoundMs(relay.config.smartHost) + extraMs), JSON.stringify(policy));
    assert.equal(failoverWindowMs(relay.config.smartHost), 30_000, 'the connect timeout');
  }
});
