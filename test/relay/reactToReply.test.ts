// Reactions in the delivery steps, against the in-memory ports: a table of replies run through the
// policy's rules (scoped by destination, a threshold counted to its third match, suspend and slow,
// the smart host as target), and what happens when the suspension cannot be stored (the outcome
// stands). The rules are data: tests set config.policy directly.
import { EMPTY_POLICY } from '../../src/core/policy/types';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SmtpOutcome } from '../../src/core/delivery';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import { replyText } from '../../src/core/reactions';
import { deliverTask } from '../../src/relay/deliverTask';
import type { Suspension } from '../../src/relay/ports';
import { supersedes } from '../../src/relay/steps/reactToReply';
import { FakeLog, FakeRelay } from '../support/fakes';
import { reactionPolicy } from '../support/reactionPolicy';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const RAW = Buffer.from('From: app@example.com\r\nTo: someone@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const START = new Date('2026-03-01T10:00:00.000Z');

const TSS04: SmtpOutcome = {
  kind: 'temporary',
  smtpCode: 421,
  enhancedCode: '4.7.0',
  response: '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints',
  category: 'rate-limit',
};
const VS98: SmtpOutcome = {
  kind: 'permanent',
  smtpCode: 554,
  enhancedCode: '5.7.1',
  response: '554 5.7.1 VS98-IP0 Connection refused',
  category: 'reputation',
};
const GMAIL_RATE: SmtpOutcome = {
  kind: 'temporary',
  smtpCode: 421,
  enhancedCode: '4.7.28',
  response: '421 4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address',
  category: 'rate-limit',
};
const QUOTA: SmtpOutcome = {
  kind: 'temporary',
  smtpCode: 451,
  enhancedCode: '4.7.0',
  response: '451 4.7.0 Sending quota exceeded for this hour',
  category: 'rate-limit',
};
const USER_UNKNOWN: SmtpOutcome = {
  kind: 'permanent',
  smtpCode: 550,
  enhancedCode: '5.1.1',
  response: '550 5.1.1 User unknown',
  category: 'invalid-recipient',
};
const SENT: SmtpOutcome = { kind: 'accepted', smtpCode: 250, enhancedCode: '2.0.0', response: '250 2.0.0 OK queued as 1A2B' };
const REFUSED: SmtpOutcome = { kind: 'temporary', response: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:587 [TSS04]', category: 'connection' };

function relayWithPolicy() {
  const relay = new FakeRelay({ RELAY_HOLD_RECHECK_SECONDS: '30' }, START);
  relay.config.policy = reactionPolicy();
  return relay;
}

/** Relays one recipient whose smart host answers `reply`; the relay's state after it. */
async function deliverWith(relay: FakeRelay, recipient: string, reply: SmtpOutcome, log = new FakeLog()) {
  const id = newMessageId(relay.clock.now());
  relay.deliveries.seed(queuedRow(id, relay.clock.now(), { recipientKey: recipient, address: recipient }));
  relay.smartHost.replies = [reply];
  await deliverTask(relay.deps, newDeliveryTask(id, recipient, 1, encodeInlineBody(RAW)), log, { queueMessageId: `q-${id}`, dequeueCount: 1 });
  return { row: relay.deliveries.row(id, recipient)!, log };
}

function suspensions(relay: FakeRelay): string[] {
  return [...relay.suspensions.entries.values()].map(
    (s) =>
      `${s.kind}:${s.name} ${s.rateFactor === undefined ? 'suspend' : `slow ${s.rateFactor}`} by ${s.rule ?? s.source} for ${(s.until.getTime() - s.createdAt.getTime()) / 1000}s`,
  );
}

const CASES: { what: string; recipient: string; reply: SmtpOutcome; expect: string[] }[] = [
  {
    what: "Yahoo! JAPAN's [TSS04] suspends its destination",
    recipient: 'a@yahoo.co.jp',
    reply: TSS04,
    expect: ['destination:yahoo-jp suspend by yahoo-jp-tss04 for 3600s'],
  },
  { what: 'VS98-IP0 in a bounce too', recipient: 'a@yahoo.co.jp', reply: VS98, expect: ['destination:yahoo-jp suspend by yahoo-jp-tss04 for 3600s'] },
  {
    what: 'a subdomain is its destination',
    recipient: 'a@mail.yahoo.co.jp',
    reply: TSS04,
    expect: ['destination:yahoo-jp suspend by yahoo-jp-tss04 for 3600s'],
  },
  { what: 'a rule scoped to yahoo-jp does nothing for gmail', recipient: 'a@gmail.com', reply: TSS04, expect: [] },
  { what: 'nor for a domain no destination covers', recipient: 'a@example.net', reply: TSS04, expect: [] },
  { what: 'one Gmail rate warning is below its threshold', recipient: 'a@gmail.com', reply: GMAIL_RATE, expect: [] },
  {
    what: "the smart host's quota suspends it, whatever the recipient",
    recipient: 'a@example.net',
    reply: QUOTA,
    expect: ['smartHost:default suspend by smart-host-quota for 600s'],
  },
  { what: 'a reply no rule names', recipient: 'a@yahoo.co.jp', reply: USER_UNKNOWN, expect: [] },
  { what: 'a 250 is never matched', recipient: 'a@yahoo.co.jp', reply: { ...SENT, response: '250 2.0.0 OK [TSS04]' }, expect: [] },
  {
    what: "a network error's text is matched too, without codes",
    recipient: 'a@yahoo.co.jp',
    reply: REFUSED,
    expect: ['destination:yahoo-jp suspend by yahoo-jp-tss04 for 3600s'],
  },
];

test('the rule table: each reply suspends, slows or leaves alone what its rules say', FILE_TIMEOUT, async () => {
  for (const c of CASES) {
    const relay = relayWithPolicy();
    const { row } = await deliverWith(relay, c.recipient, c.reply);
    assert.deepEqual(suspensions(relay), c.expect, c.what);
    assert.equal(
      row.status,
      c.reply.kind === 'accepted' ? 'sent' : c.reply.kind === 'permanent' ? 'bounced' : 'deferred',
      `${c.what}: the outcome is recorded`,
    );
  }
});

test('a suspension: one warn line naming the rule, the target and its end; until = the reply + the duration', FILE_TIMEOUT, async () => {
  const relay = relayWithPolicy();
  const { log } = await deliverWith(relay, 'a@yahoo.co.jp', TSS04);
  const [suspension] = relay.suspensions.entries.values();
  assert.deepEqual(suspension, {
    kind: 'destination',
    name: 'yahoo-jp',
    reason: TSS04.response,
    source: 'reaction',
    rule: 'yahoo-jp-tss04',
    createdAt: START,
    until: new Date(START.getTime() + 3600_000),
  });
  const warnings = log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
  assert.deepEqual(warnings, [`reaction yahoo-jp-tss04: destination yahoo-jp suspended until 2026-03-01T11:00:00.000Z (${TSS04.response})`]);
});

test('threshold 3 in an hour: the first two matches are counted, the third acts (a slow-down)', FILE_TIMEOUT, async () => {
  const relay = relayWithPolicy();
  for (let i = 1; i <= 2; i++) {
    const { log } = await deliverWith(relay, `r${i}@gmail.com`, GMAIL_RATE);
    assert.deepEqual(suspensions(relay), [], `match ${i}`);
    assert.match(log.text(), new RegExp(`reaction gmail-rate for destination gmail: match ${i} of 3`));
    relay.clock.advance(20 * 60_000);
  }
  await deliverWith(relay, 'r3@gmail.com', GMAIL_RATE);
  assert.deepEqual(suspensions(relay), ['destination:gmail slow 0.5 by gmail-rate for 1800s']);
  assert.deepEqual(relay.calls.filter((c) => c === 'suspensions.countMatch').length, 3);
});

test('threshold: matches that fall out of the window do not count', FILE_TIMEOUT, async () => {
  const relay = relayWithPolicy();
  // at 0, 31 and 62 minutes: at the third, the first has fallen out, so two in the last hour
  for (let i = 1; i <= 3; i++) {
    if (i > 1) relay.clock.advance(31 * 60_000);
    await deliverWith(relay, `r${i}@gmail.com`, GMAIL_RATE);
  }
  assert.deepEqual(suspensions(relay), []);
  relay.clock.advance(60_000);
  await deliverWith(relay, 'r4@gmail.com', GMAIL_RATE);
  assert.deepEqual(suspensions(relay), ['destination:gmail slow 0.5 by gmail-rate for 1800s']);
});

test('a slow-down does not hold: the next recipient to the destination is sent', FILE_TIMEOUT, async () => {
  const relay = relayWithPolicy();
  for (let i = 1; i <= 3; i++) await deliverWith(relay, `r${i}@gmail.com`, GMAIL_RATE);
  assert.equal(suspensions(relay).length, 1);
  const { row } = await deliverWith(relay, 'next@gmail.com', SENT);
  assert.equal(row.status, 'sent');
  assert.equal(row.heldBy, undefined);
});

test('a suspension holds: the next recipient to the destination is not sent, others are', FILE_TIMEOUT, async () => {
  const relay = relayWithPolicy();
  await deliverWith(relay, 'a@yahoo.co.jp', TSS04);
  const sentBefore = relay.smartHost.sent.length;
  const held = await deliverWith(relay, 'b@yahoo.co.jp', SENT);
  assert.equal(relay.smartHost.sent.length, sentBefore);
  assert.equal(held.row.heldBy, 'suspended:destination:yahoo-jp');
  assert.equal(held.row.status, 'queued');
  const other = await deliverWith(relay, 'c@gmail.com', SENT);
  assert.equal(other.row.status, 'sent');
});

test('storing the suspension fails: the outcome and its retry stand, the failure is logged, nothing throws', FILE_TIMEOUT, async () => {
  const relay = relayWithPolicy();
  relay.fail('suspensions.put', new Error('ETIMEDOUT (a test)'));
  const { row, log } = await deliverWith(relay, 'a@yahoo.co.jp', TSS04);
  assert.equal(row.status, 'deferred');
  assert.equal(relay.queue.tasks.length, 1, 'the retry is queued');
  assert.deepEqual(suspensions(relay), []);
  assert.match(log.text(), /error: .*reaction yahoo-jp-tss04 for destination yahoo-jp could not be stored; the outcome is recorded \(Error: ETIMEDOUT/);
  assert.ok(relay.calls.includes('events.record'), 'the steps after it ran');
});

test('counting fails: the same, and no suspension is put', FILE_TIMEOUT, async () => {
  const relay = relayWithPolicy();
  relay.fail('suspensions.countMatch');
  const { row, log } = await deliverWith(relay, 'a@gmail.com', GMAIL_RATE);
  assert.equal(row.status, 'deferred');
  assert.match(log.text(), /error: .*reaction gmail-rate for destination gmail could not be stored/);
  assert.ok(!relay.calls.includes('suspensions.put'));
});

test('no rules: a deferral costs no suspension call', FILE_TIMEOUT, async () => {
  const relay = new FakeRelay({}, START);
  relay.config.policy = EMPTY_POLICY; // not even the built-in reactions
  await deliverWith(relay, 'a@yahoo.co.jp', TSS04);
  assert.deepEqual(
    relay.calls.filter((c) => c.startsWith('suspensions.')),
    [],
  );
});

test("a reaction never shortens an operator's suspension nor turns it into a slow-down", FILE_TIMEOUT, async () => {
  const relay = relayWithPolicy();
  const manual: Suspension = {
    kind: 'destination',
    name: 'yahoo-jp',
    reason: 'maintenance',
    source: 'manual',
    createdAt: START,
    until: new Date(START.getTime() + 86400_000),
  };
  await relay.suspensions.put(manual);
  // a held recipient makes no attempt, so the reply comes from one already on its way: run the step alone
  const at = new Date(START.getTime() + 1000);
  const shorter: Suspension = { ...manual, source: 'reaction', rule: 'r', createdAt: at, until: new Date(at.getTime() + 3600_000) };
  assert.equal(supersedes(shorter, manual), false);
  assert.equal(supersedes({ ...shorter, until: new Date(at.getTime() + 2 * 86400_000) }, manual), true);
  assert.equal(supersedes({ ...shorter, until: new Date(at.getTime() + 2 * 86400_000), rateFactor: 0.5 }, manual), false, 'a slow-down never replaces a stop');
  assert.equal(supersedes(shorter, { ...manual, rateFactor: 0.5 }), true, 'a stop replaces a slow-down');
  assert.equal(supersedes(shorter, undefined), true);
  const reacted = { ...shorter, until: new Date(at.getTime() + 3600_000) };
  assert.equal(supersedes({ ...reacted, until: new Date(reacted.until.getTime() + 5_000) }, reacted), false, 'a burst of matches writes once');
  assert.equal(supersedes({ ...reacted, until: new Date(reacted.until.getTime() + 61_000) }, reacted), true, 'a later match extends it');
});

test('the text matched: codes in front once, whitespace folded', FILE_TIMEOUT, () => {
  assert.equal(replyText({ smtpCode: 421, enhancedCode: '4.7.0', response: '421 4.7.0 [TSS04]\r\n  more' }), '421 4.7.0 [TSS04] more');
  assert.equal(replyText({ smtpCode: 421, enhancedCode: '4.7.0', response: '[TSS04] deferred' }), '421 4.7.0 [TSS04] deferred');
  assert.equal(replyText({ smtpCode: 421, response: 'deferred' }), '421 deferred');
  assert.equal(replyText({ response: 'ETIMEDOUT: timed out' }), 'ETIMEDOUT: timed out');
});
