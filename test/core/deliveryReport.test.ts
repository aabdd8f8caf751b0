// Every DSN fixture (test/fixtures/dsn) through the parser: what each recipient's report says and the
// keys that tie it to the relay's message; and the inputs that are no DSN, refused with what is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { diagnosticOf, DSN_ACTIONS, type DeliveryReport, fieldBlocks, parseDeliveryReport, type ReportReading } from '../../src/core/deliveryReport';
import { classifyUpstreamReport } from '../../src/core/classify';
import { repoRoot } from '../support/sourceFiles';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'dsn');

function fixture(name: string): Buffer {
  return readFileSync(path.join(FIXTURES, name));
}

async function report(name: string): Promise<DeliveryReport> {
  const reading = await parseDeliveryReport(fixture(name));
  assert.ok(reading.ok, `${name}: ${reading.ok ? '' : reading.message}`);
  return reading.report;
}

/** What a test pins of each recipient: the fields the events are built from. */
function summary(r: DeliveryReport) {
  return r.recipients.map((x) => ({
    recipient: x.recipient,
    action: x.action,
    status: x.status,
    smtpCode: x.diagnostic?.smtpCode,
    diagnostic: x.diagnostic?.text,
  }));
}

test('Postfix: one report per recipient; Original-Recipient is the address the relay sent to', FILE_TIMEOUT, async () => {
  const r = await report('postfix-user-unknown.eml');
  assert.equal(r.format, 'rfc3464');
  assert.equal(r.reportingMta, 'mail.example.net');
  assert.equal(r.arrivalAt?.toISOString(), '2026-03-03T10:14:58.000Z');
  const text = (address: string) => `550 5.1.1 <${address}>: Recipient address rejected: User unknown in virtual mailbox table`;
  assert.deepEqual(summary(r), [
    { recipient: 'nobody@example.net', action: 'failed', status: '5.1.1', smtpCode: 550, diagnostic: text('nobody@example.net') },
    // expanded from an alias: the relay knows team@, not sales@
    { recipient: 'team@example.net', action: 'failed', status: '5.1.1', smtpCode: 550, diagnostic: text('sales@example.net') },
  ]);
  assert.equal(r.recipients[1]?.finalRecipient, 'sales@example.net');
  assert.equal(r.recipients[0]?.remoteMta, 'mx.example.net');
  assert.deepEqual(r.original, { messageId: '<0197f3a2-5c1e-7d40-9a3b-2f6c8e1d4b70@example.com>', returnPath: undefined });
  assert.equal(r.envelopeTo, 'bounces+0197f3a2-5c1e-7d40-9a3b-2f6c8e1d4b70.a1b2c3@bounce.example.com');
  assert.equal(r.messageId, '<4bXq2R1sYkz9vQm@mail.example.net>');
  assert.equal(r.unwrapped, false);
});

test('Exchange Online: 5.1.10 RecipientNotFound, the original headers from text/rfc822-headers', FILE_TIMEOUT, async () => {
  const r = await report('exchange-online-recipient-not-found.eml');
  assert.deepEqual(summary(r), [
    {
      recipient: 'j.doe@contoso.com',
      action: 'failed',
      status: '5.1.10',
      smtpCode: 550,
      diagnostic: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient j.doe@contoso.com not found by SMTP address lookup',
    },
  ]);
  assert.deepEqual(r.original, {
    messageId: '<0197f3b0-1a2b-7c3d-8e4f-5a6b7c8d9e0f@example.com>',
    returnPath: 'bounces+0197f3b0-1a2b-7c3d-8e4f-5a6b7c8d9e0f.77aa01@bounce.example.com',
  });
  assert.equal(r.envelopeTo, 'bounces+0197f3b0-1a2b-7c3d-8e4f-5a6b7c8d9e0f.77aa01@bounce.example.com');
});

test('Gmail: a multi-line 550-5.1.1 reply is unfolded into one line, its repeated prefixes dropped', FILE_TIMEOUT, async () => {
  const r = await report('gmail-address-not-found.eml');
  const [only] = r.recipients;
  assert.equal(r.recipients.length, 1);
  assert.equal(only?.recipient, 'no.such.user@gmail.com');
  assert.equal(only?.status, '5.1.1');
  assert.equal(only?.diagnostic?.smtpCode, 550);
  assert.equal(
    only?.diagnostic?.text,
    "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser 41be03b00d2f7-5e3a1b2c3d4si1234567a12.101 - gsmtp",
  );
  assert.equal(only?.lastAttemptAt?.toISOString(), '2026-03-05T09:02:09.000Z');
  assert.match(only?.remoteMta ?? '', /^gmail-smtp-in\.l\.google\.com\./);
  assert.deepEqual(r.original, {
    messageId: '<0197f3c4-2b3c-7d4e-9f50-6b7c8d9e0f1a@example.com>',
    returnPath: 'bounces+0197f3c4-2b3c-7d4e-9f50-6b7c8d9e0f1a.c0ffee@bounce.example.com',
  });
  assert.equal(r.envelopeTo, 'bounces+0197f3c4-2b3c-7d4e-9f50-6b7c8d9e0f1a.c0ffee@bounce.example.com', 'Delivered-To when there is no X-Original-To');
});

test('docomo behind a Sendmail relay: "550 Unknown user", field names in any case', FILE_TIMEOUT, async () => {
  const r = await report('docomo-unknown-user.eml');
  assert.deepEqual(summary(r), [
    { recipient: 'no-such-user@docomo.ne.jp', action: 'failed', status: '5.2.0', smtpCode: 550, diagnostic: '550 Unknown user no-such-user@docomo.ne.jp' },
  ]);
  assert.equal(r.recipients[0]?.remoteMta, 'mfsmax.docomo.ne.jp');
  assert.equal(r.recipients[0]?.lastAttemptAt?.toISOString(), '2026-03-06T11:46:27.000Z');
  assert.equal(r.original.messageId, '<0197f3e6-4d5e-7f60-b172-8d9e0f1a2b3c@example.jp>');
});

test('au/KDDI returned mail (no RFC 3464 part): recipient and reason from the text, keys from the attached original', FILE_TIMEOUT, async () => {
  const r = await report('au-kddi-user-unknown.eml');
  assert.equal(r.format, 'au-kddi');
  assert.deepEqual(summary(r), [
    { recipient: 'no-such-user@ezweb.ne.jp', action: 'failed', status: undefined, smtpCode: 550, diagnostic: '550 <no-such-user@ezweb.ne.jp>: User unknown' },
  ]);
  assert.deepEqual(r.original, {
    messageId: '<0197f3d5-3c4d-7e5f-a061-7c8d9e0f1a2b@example.jp>',
    returnPath: 'bounces+0197f3d5-3c4d-7e5f-a061-7c8d9e0f1a2b.5eed01@bounce.example.com',
  });
});

test("au/KDDI with X-SPASIGN: NG: refused by the handset's filter, a policy refusal (5.7.1), keys from the quoted headers", FILE_TIMEOUT, async () => {
  const r = await report('au-ezweb-filtered.eml');
  assert.equal(r.format, 'au-kddi');
  assert.deepEqual(summary(r), [
    {
      recipient: 'filtered-user@ezweb.ne.jp',
      action: 'failed',
      status: '5.7.1',
      smtpCode: undefined,
      diagnostic: "refused by the recipient's reception filter (X-SPASIGN: NG): Each of the following recipients was rejected by a remote mail server.",
    },
  ]);
  assert.deepEqual(r.original, { messageId: '<0197f3f7-5e6f-7071-8283-9e0f1a2b3c4d@example.jp>', returnPath: undefined });
  assert.equal(r.envelopeTo, 'bounces+0197f3f7-5e6f-7071-8283-9e0f1a2b3c4d.f117e5@bounce.example.com', 'To, when no X-Original-To or Delivered-To');
  const verdict = classifyUpstreamReport({ source: 'dsn', type: 'failed', enhancedCode: '5.7.1', response: r.recipients[0]?.diagnostic?.text });
  assert.notEqual(verdict.category, 'invalid-recipient', 'a filtered address is not suppressed as unknown');
});

test('a DSN forwarded as an attachment is unwrapped one level and read as the DSN it carries', FILE_TIMEOUT, async () => {
  const forwarded = await report('forwarded-postfix.eml');
  const direct = await report('postfix-user-unknown.eml');
  assert.equal(forwarded.unwrapped, true);
  assert.deepEqual({ ...forwarded, unwrapped: false }, direct, "the same report as the DSN itself, the forwarder's envelope is not used");
});

test('a delayed DSN is read as delayed, and classified as deferred: no bounce', FILE_TIMEOUT, async () => {
  const r = await report('postfix-delayed.eml');
  assert.deepEqual(summary(r), [
    {
      recipient: 'slow@example.org',
      action: 'delayed',
      status: '4.4.1',
      smtpCode: undefined,
      diagnostic: 'connect to mx.example.org[203.0.113.9]:25: Connection timed out',
    },
  ]);
  assert.equal(r.recipients[0]?.diagnostic?.type, 'x-postfix');
  assert.equal(r.original.messageId, '<0197f3a2-6d2f-7e51-8b4c-3a7d9f2e5c81@example.com>');
  const verdict = classifyUpstreamReport({ source: 'dsn', type: 'delayed', enhancedCode: '4.4.1', response: r.recipients[0]?.diagnostic?.text });
  assert.equal(verdict.verdict, 'deferred');
});

test('every fixture but the bad ones parses, and each names the original message', FILE_TIMEOUT, async () => {
  const good = readdirSync(FIXTURES).filter((f) => f.endsWith('.eml') && !f.startsWith('report-without-'));
  assert.ok(good.length >= 7, `found ${good.join(', ')}`);
  for (const name of good) {
    const r = await report(name);
    assert.ok(r.recipients.length > 0, name);
    assert.match(r.original.messageId ?? '', /^<[0-9a-f-]{36}@example\.(com|jp)>$/, name);
    assert.match(r.envelopeTo ?? '', /^bounces\+[0-9a-f-]{36}\.[0-9a-f]+@bounce\.example\.com$/, name);
  }
});

async function refusal(raw: Buffer): Promise<Extract<ReportReading, { ok: false }>> {
  const reading = await parseDeliveryReport(raw);
  if (reading.ok) assert.fail(`expected a refusal, read ${reading.report.recipients.length} recipients`);
  return reading;
}

test('bad input: each refusal names what is missing', FILE_TIMEOUT, async () => {
  const notMime = await refusal(fixture('not-a-message.txt'));
  assert.equal(notMime.problem, 'not-a-message');
  assert.match(notMime.message, /does not start with header fields/);

  const noStatus = await refusal(fixture('report-without-status.eml'));
  assert.equal(noStatus.problem, 'not-a-report');
  assert.match(noStatus.message, /no message\/delivery-status part/);

  const noRecipients = await refusal(fixture('report-without-recipients.eml'));
  assert.equal(noRecipients.problem, 'no-recipients');
  assert.match(noRecipients.message, /without any per-recipient report/);

  for (const raw of [Buffer.alloc(0), Buffer.from('\u0000\u0001binary'), Buffer.from('Subject: hi\r\n\r\njust a note')]) {
    const r = await refusal(raw);
    assert.ok(['not-a-message', 'not-a-report'].includes(r.problem), r.problem);
  }
  // a per-recipient block with an Action no RFC knows is no report
  const odd = fixture('report-without-recipients.eml')
    .toString()
    .replace(
      'Arrival-Date: Sun, 8 Mar 2026 09:59:58 +0000\n',
      'Arrival-Date: Sun, 8 Mar 2026 09:59:58 +0000\n\nFinal-Recipient: rfc822; a@example.net\nAction: exploded\n',
    );
  assert.equal((await refusal(Buffer.from(odd))).problem, 'no-recipients');
  // without the per-message fields, the first block is a recipient's
  const bare = fixture('report-without-recipients.eml')
    .toString()
    .replace(/Reporting-MTA: .*\nArrival-Date: .*\n/, 'Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.1.1\n');
  const reading = await parseDeliveryReport(Buffer.from(bare));
  assert.ok(reading.ok);
  assert.deepEqual(
    reading.report.recipients.map((r) => [r.recipient, r.status]),
    [['a@example.net', '5.1.1']],
  );
  assert.equal(reading.report.reportingMta, undefined);
});

test('delivery-status fields: folded lines joined, names in any case, blocks split by blank lines', FILE_TIMEOUT, () => {
  const blocks = fieldBlocks(
    'Reporting-MTA: dns; a\r\n\r\nFINAL-RECIPIENT: rfc822; x@y\r\nDiagnostic-Code: smtp; 550 one\r\n  two\r\n\r\n\r\nAction: failed\r\n',
  );
  assert.deepEqual(
    blocks.map((b) => Object.fromEntries(b)),
    [{ 'reporting-mta': 'dns; a' }, { 'final-recipient': 'rfc822; x@y', 'diagnostic-code': 'smtp; 550 one two' }, { action: 'failed' }],
  );
  assert.deepEqual(diagnosticOf("smtp; 452-4.2.2 The recipient's inbox is out of storage\n 452 4.2.2 space."), {
    type: 'smtp',
    text: "452 4.2.2 The recipient's inbox is out of storage space.",
    smtpCode: 452,
  });
  assert.deepEqual(diagnosticOf('X-Unix; procmail: No such user'), { type: 'x-unix', text: 'procmail: No such user' });
  assert.equal(diagnosticOf(undefined), undefined);
});

test('mangled DSNs (cut short, bytes changed or inserted) are read or refused, never thrown on', FILE_TIMEOUT, async () => {
  const sources = readdirSync(FIXTURES).map(fixture);
  const mangled = fc
    .tuple(fc.constantFrom(...sources), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.constantFrom('cut', 'overwrite', 'insert'))
    .map(([raw, at, bytes, how]) => {
      const i = at % (raw.length + 1);
      if (how === 'cut') return raw.subarray(0, i);
      const tail = how === 'overwrite' ? raw.subarray(Math.min(raw.length, i + bytes.length)) : raw.subarray(i);
      return Buffer.concat([raw.subarray(0, i), Buffer.from(bytes), tail]);
    });
  await fc.assert(
    fc.asyncProperty(mangled, async (raw) => {
      const reading = await parseDeliveryReport(raw);
      if (!reading.ok) return assert.ok(reading.message.length > 0);
      for (const r of reading.report.recipients) {
        assert.ok((DSN_ACTIONS as readonly string[]).includes(r.action));
        assert.ok(r.recipient.length > 0);
      }
    }),
    { seed: 20261201, numRuns: 300 },
  );
});
