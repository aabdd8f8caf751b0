// The bounce rules: a corpus of real replies classified as expected, every row exercised by one, the
// order rule, and the start-up checker refusing each kind of malformed table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOUNCE_RULES, BounceRulesError, checkBounceRules, RULE_KINDS, type RuleOutcome, type RuleRow } from '../../src/core/bounceRules';
import { classifyUpstreamReport, type UpstreamSource, type Verdict } from '../../src/core/classify';
import { classifySmtpError } from '../../src/core/delivery';
import { BOUNCE_CORPUS, type CorpusEntry } from './bounceCorpus';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const OUTCOME_OF: Record<Verdict, RuleOutcome> = {
  delivered: 'sent',
  bounced: 'permanent',
  deferred: 'temporary',
  complaint: 'complaint',
  unsubscribe: 'unsubscribe',
  ignored: 'ignored',
};

/** How the relay classifies a corpus entry, in the corpus's terms. */
function classified(entry: CorpusEntry): CorpusEntry['expect'] {
  if (entry.event) {
    const [source = '', type = ''] = entry.event.split(':');
    const c = classifyUpstreamReport({ source: source as UpstreamSource, type, smtpCode: entry.code, enhancedCode: entry.enhancedCode, response: entry.reply });
    return withoutUndefined({ outcome: OUTCOME_OF[c.verdict], category: c.category, rule: c.rule, replyRule: c.replyRule });
  }
  const o = classifySmtpError(
    entry.errorCode
      ? { code: entry.errorCode, responseCode: entry.code, message: entry.reply, response: entry.code ? entry.reply : undefined }
      : { code: 'EENVELOPE', responseCode: entry.code, response: entry.reply },
  );
  assert.notEqual(o.kind, 'accepted');
  return withoutUndefined({ outcome: o.kind === 'permanent' ? 'permanent' : 'temporary', category: o.category, rule: o.rule ?? '(none)' });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

test('every reply of the corpus is classified as expected, by the expected row', FILE_TIMEOUT, () => {
  for (const entry of BOUNCE_CORPUS) {
    assert.deepEqual(classified(entry), entry.expect, `${entry.source}: ${entry.event ?? ''} ${JSON.stringify(entry.reply)}`);
  }
});

test('every row of the table is exercised by the corpus', FILE_TIMEOUT, () => {
  const hit = new Set(BOUNCE_CORPUS.flatMap((e) => [e.expect.rule, e.expect.replyRule ?? '']));
  assert.deepEqual(
    BOUNCE_RULES.map((r) => r.id).filter((id) => !hit.has(id)),
    [],
  );
  assert.ok(BOUNCE_RULES.length >= 60, `${BOUNCE_RULES.length} rows`);
});

test("the table's rows are in order: errorCode, exact enhanced, text, enhanced class, basic, event", FILE_TIMEOUT, () => {
  const ranks = BOUNCE_RULES.map((r) => RULE_KINDS.indexOf(r.kind));
  assert.deepEqual(
    ranks,
    [...ranks].sort((a, b) => a - b),
  );
  assert.deepEqual(new Set(BOUNCE_RULES.map((r) => r.kind)), new Set(RULE_KINDS), 'each kind has rows');
});

test('first match wins: the error code, then the enhanced code, then the text, then the class, then the basic code', FILE_TIMEOUT, () => {
  const rule = (err: Parameters<typeof classifySmtpError>[0]) => classifySmtpError(err).rule;
  // The relay's own login failed: the 5.7.8 and the 535 say nothing about the recipient.
  assert.equal(rule({ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 Username and Password not accepted' }), 'relay-eauth');
  // An exact enhanced code outranks words that another row knows.
  assert.equal(rule({ responseCode: 550, response: '550 5.1.1 <x@example.net>: blocked using zen.spamhaus.org' }), 'x-5.1.1');
  // Words outrank a generic enhanced code's class, and the class outranks the basic code.
  assert.equal(rule({ responseCode: 550, response: '550 5.7.1 No such user here' }), 't-user-unknown');
  assert.equal(rule({ responseCode: 550, response: '550 5.7.1 Rejected' }), 'c-5.7');
  assert.equal(rule({ responseCode: 550, response: '550 Rejected' }), 'b-5xx');
  // An enhanced row needs a basic code of its own class: a 4xx never meets a permanent 5.y.z row.
  assert.equal(rule({ responseCode: 450, response: '450 5.1.1 User unknown, try later' }), 'b-4xx');
});

test('a 4xx never bounces, and a deferral is never invalid-recipient', FILE_TIMEOUT, () => {
  for (const r of BOUNCE_RULES) {
    if (r.kind === 'event') continue;
    if (r.outcome === 'temporary') assert.notEqual(r.category, 'invalid-recipient', r.id);
  }
  const full = classifySmtpError({ responseCode: 452, response: '452 Mailbox full' });
  assert.deepEqual([full.kind, full.category, full.rule], ['temporary', 'mailbox-full', 't-mailbox-full-deferred']);
  const gone = classifySmtpError({ responseCode: 450, response: '450 <x@example.net>: User unknown' });
  assert.equal(gone.kind, 'temporary');
});

// A small valid table, and one change to it per check.
const VALID: RuleRow[] = [
  { id: 'e1', errorCode: 'EAUTH', outcome: 'temporary', category: 'auth', why: 'nodemailer EAUTH' },
  { id: 'x1', enhanced: '5.1.1', outcome: 'permanent', category: 'invalid-recipient', why: 'RFC 3463 bad mailbox' },
  { id: 't1', text: 'user unknown', basic: '5xx', outcome: 'permanent', category: 'invalid-recipient', why: 'Postfix' },
  { id: 'c1', enhanced: '4.7.x', outcome: 'temporary', category: 'policy', why: 'RFC 3463 policy' },
  { id: 'b1', basic: '5xx', outcome: 'permanent', category: 'other', why: 'RFC 5321' },
  { id: 'ev1', event: 'dsn:failed', outcome: 'permanent', why: 'RFC 3464 failed' },
  { id: 'ev2', event: 'dsn:*', outcome: 'ignored', why: 'RFC 3464 other' },
];

function refused(change: (rows: Record<string, unknown>[]) => unknown, problem: RegExp): void {
  const rows = VALID.map((r) => ({ ...r })) as Record<string, unknown>[];
  const table = change(rows) ?? { rules: rows };
  assert.throws(
    () => checkBounceRules(table),
    (err: unknown) => {
      assert.ok(err instanceof BounceRulesError, String(err));
      assert.match(err.message, problem);
      return true;
    },
  );
}

test('the checker takes a valid table', FILE_TIMEOUT, () => {
  assert.deepEqual(
    checkBounceRules({ rules: VALID }).map((r) => r.kind),
    ['errorCode', 'enhanced', 'text', 'enhancedClass', 'basic', 'event', 'event'],
  );
});

test('the checker refuses a malformed table, naming the row and what is wrong', FILE_TIMEOUT, () => {
  refused(() => [], /not an object with a "rules" list/);
  refused((rows) => void rows.push('x' as never), /row 7: not an object/);
  refused((rows) => void (rows[1].id = 'Bad Id'), /row 1 \(Bad Id\): id must be/);
  refused((rows) => void (rows[2].id = 'x1'), /row 2 \(x1\): duplicate id, row 1 has it too/);
  refused((rows) => void (rows[1].severity = 'high'), /row 1 \(x1\): unknown field "severity"/);
  refused((rows) => void (rows[1].why = 7), /row 1 \(x1\): why must be a string/);
  refused((rows) => void (rows[1].enhanced = 511), /row 1 \(x1\): enhanced must be a string/);
  refused((rows) => void (rows[5].event = null), /row 5 \(ev1\): event must be a string/);
  refused((rows) => void (rows[1].text = 'x'), /row 1 \(x1\): more than one match \(enhanced, text\)/);
  refused((rows) => void delete rows[1].enhanced, /row 1 \(x1\): no match/);
  refused((rows) => void (rows[0].errorCode = 'eauth'), /row 0 \(e1\): errorCode "eauth" is not a nodemailer error code/);
  refused((rows) => void (rows[1].enhanced = '5.1'), /row 1 \(x1\): enhanced "5\.1" is not an enhanced code/);
  refused((rows) => void (rows[5].event = 'mailgun:failed'), /row 5 \(ev1\): event "mailgun:failed" is not/);
  refused((rows) => void (rows[4].basic = '5x'), /row 4 \(b1\): basic "5x" is not a basic code/);
  refused((rows) => void (rows[2].text = 'user (unknown'), /row 2 \(t1\): bad regex/);
  refused((rows) => void (rows[2].text = 'x*'), /row 2 \(t1\): text matches an empty reply/);
  refused((rows) => void (rows[1].outcome = 'hard'), /row 1 \(x1\): unknown outcome "hard"/);
  refused((rows) => void (rows[1].outcome = 'complaint'), /row 1 \(x1\): outcome "complaint" is for event rows only/);
  refused((rows) => void (rows[1].category = 'gone'), /row 1 \(x1\): unknown category "gone"/);
  refused((rows) => void delete rows[1].category, /row 1 \(x1\): a reply row needs a category/);
  refused((rows) => void Object.assign(rows[6], { category: 'other' }), /row 6 \(ev2\): an "ignored" event has no category/);
  refused((rows) => void Object.assign(rows[5], { outcome: 'complaint', category: 'policy' }), /row 5 \(ev1\): a complaint event has category "complaint"/);
  refused((rows) => void (rows[2].outcome = 'temporary'), /row 2 \(t1\): a temporary row cannot be invalid-recipient/);
  refused((rows) => void delete rows[2].basic, /row 2 \(t1\): a permanent row must not match a 4xx reply/);
  refused((rows) => void Object.assign(rows[3], { outcome: 'permanent' }), /row 3 \(c1\): a permanent row must not match a 4xx reply/);
  refused((rows) => void (rows[3].basic = '5xx'), /row 3 \(c1\): basic "5xx" disagrees with the enhanced class 4/);
  refused((rows) => void (rows[5].basic = '5xx'), /row 5 \(ev1\): an event row has no basic code/);
  refused((rows) => void delete rows[1].why, /row 1 \(x1\): why is missing/);
  refused((rows) => void (rows[1].why = 'RFC 3463\nbad mailbox'), /row 1 \(x1\): why must be one line/);
  refused((rows) => void (rows[1].why = `RFC 3463 ${'x'.repeat(200)}`), /row 1 \(x1\): why is longer than 200 characters/);
  refused((rows) => void (rows[1].why = 'the address is gone'), /row 1 \(x1\): why names no source/);
});

test('the checker refuses rows out of order and rows an earlier row shadows', FILE_TIMEOUT, () => {
  refused((rows) => void rows.reverse(), /row 1 \(ev1\): event row after the event row 0|row \d \([a-z0-9]+\): [a-z ]+ row after the [a-z ]+ row \d/);
  refused(
    (rows) => void rows.splice(2, 0, rows.splice(1, 1)[0]),
    /row 2 \(x1\): exact enhanced code row after the text row 1; the order is errorCode, exact enhanced code, text/,
  );
  refused((rows) => void rows.splice(1, 0, { ...rows[0], id: 'e2' }), /row 1 \(e2\): never reached, row 0 \(e1\) matches everything it does/);
  refused((rows) => void rows.splice(2, 0, { ...rows[1], id: 'x2', basic: '550' }), /row 2 \(x2\): never reached, row 1 \(x1\)/);
  refused((rows) => void rows.splice(3, 0, { ...rows[2], id: 't2', text: 'USER UNKNOWN', basic: '550' }), /row 3 \(t2\): never reached, row 2 \(t1\)/);
  refused(
    (rows) => void rows.splice(5, 0, { id: 'b2', basic: '550', outcome: 'permanent', category: 'other', why: 'RFC 5321' }),
    /row 5 \(b2\): never reached, row 4 \(b1\)/,
  );
  refused(
    (rows) => void rows.push({ id: 'ev3', event: 'dsn:delayed', outcome: 'temporary', why: 'RFC 3464 delayed' }),
    /row 7 \(ev3\): never reached, row 6 \(ev2\)/,
  );
  // a narrower basic first leaves the wider row reachable
  const narrowFirst = [VALID[0], VALID[1], { ...VALID[2], id: 't0', basic: '550' }, VALID[2]] as RuleRow[];
  assert.deepEqual(
    checkBounceRules({ rules: narrowFirst }).map((r) => r.id),
    ['e1', 'x1', 't0', 't1'],
  );
});
