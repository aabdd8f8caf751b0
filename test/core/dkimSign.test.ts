// The DKIM signature the relay puts on a message, verified by an independent verifier (dkimpy)
// against a DNS server on loopback serving the public key: RSA-2048 and Ed25519, relaxed/relaxed,
// the listed headers where present, From oversigned. Changed bytes, a From added in front, a
// changed signed header and a wrong published key must each fail, or the check proves nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { type DkimKey, dkimSign, SIGNED_HEADERS } from '../../src/core/dkim/sign';
import { dkimRecord, dkimRecordName } from '../../src/core/dkim/record';
import { type DnsServer, startDnsServer, type Zone } from '../support/dnsServer';
import { skipWithoutDkimpy, verifyWithDkimpy } from '../support/dkimpy';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const SIGNED_AT = new Date('2026-12-01T10:00:00.000Z');
const MESSAGE = Buffer.from(
  [
    'List-Unsubscribe: <https://relay.example.jp/api/v1/unsubscribe/t0ken>',
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    'From: =?UTF-8?B?44Ki44OX44Oq?= <app@example.jp>',
    'To: user@example.net',
    'Subject: =?UTF-8?B?44GT44KT44Gr44Gh44Gv?=',
    'Date: Tue, 01 Dec 2026 10:00:00 +0000',
    'Message-ID: <m1@example.jp>',
    'X-Mailer: not signed',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Hello from the relay.  ',
    'Trailing blank lines do not count under relaxed.',
    '',
    '',
  ].join('\r\n'),
);

const rsa: DkimKey = {
  domain: 'example.jp',
  selector: 'rsa2026',
  algorithm: 'rsa-sha256',
  privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
};
const ed: DkimKey = { domain: 'example.jp', selector: 'ed2026', algorithm: 'ed25519-sha256', privateKey: generateKeyPairSync('ed25519').privateKey };

function zoneFor(...keys: DkimKey[]): Zone {
  return Object.fromEntries(keys.map((k) => [dkimRecordName(k.selector, k.domain), { TXT: [dkimRecord(k.privateKey)] }]));
}

describe('signatures an independent verifier accepts', { ...FILE_TIMEOUT, skip: skipWithoutDkimpy() }, () => {
  let dns: DnsServer;
  before(async () => {
    dns = await startDnsServer(zoneFor(rsa, ed));
  });
  after(async () => {
    await dns?.close();
  });

  for (const key of [rsa, ed]) {
    test(`${key.algorithm}: verified, relaxed/relaxed, the listed headers present and From twice`, async () => {
      const signed = await dkimSign(MESSAGE, key, SIGNED_AT);
      assert.ok(signed.subarray(signed.length - MESSAGE.length).equals(MESSAGE), 'the message follows its signature unchanged');
      assert.equal(signed.toString('latin1').match(/^DKIM-Signature:/gm)?.length, 1);
      const verdict = await verifyWithDkimpy(signed, dns);
      assert.equal(verdict.verified, true, verdict.reason);
      assert.deepEqual([verdict.d, verdict.s, verdict.a, verdict.c], ['example.jp', key.selector, key.algorithm, 'relaxed/relaxed']);
      const present = SIGNED_HEADERS.map((h) => h.toLowerCase()).filter(
        (h) => h !== 'cc' && h !== 'reply-to' && h !== 'in-reply-to' && h !== 'references' && h !== 'feedback-id',
      );
      assert.deepEqual([...verdict.h].sort(), [...present, 'from'].sort(), 'every listed header present, From once more, nothing else');
      assert.match(signed.toString('latin1'), new RegExp(`\\bt=${SIGNED_AT.getTime() / 1000};`), 't= is the signing time given');
      assert.ok(dns.asked.includes(`${key.selector}._domainkey.example.jp TXT`), 'the verifier asked the loopback DNS server');
    });

    test(`${key.algorithm}: a changed body, a changed signed header, a From added in front and a wrong key all fail`, async () => {
      const signed = (await dkimSign(MESSAGE, key, SIGNED_AT)).toString('latin1');
      const tampered = {
        body: signed.replace('Hello from the relay.', 'Hello from someone else.'),
        subject: signed.replace('Subject: =?UTF-8?B?44GT44KT44Gr44Gh44Gv?=', 'Subject: You won'),
        unsubscribe: signed.replace('/unsubscribe/t0ken', '/unsubscribe/other'),
        'added From': `From: Bank <security@example.jp>\r\n${signed}`,
      };
      for (const [what, text] of Object.entries(tampered)) {
        const verdict = await verifyWithDkimpy(Buffer.from(text, 'latin1'), dns);
        assert.equal(verdict.verified, false, `${what}: must fail`);
      }
      const unsigned = await verifyWithDkimpy(MESSAGE, dns);
      assert.equal(unsigned.verified, false, 'no signature, no pass');
      // an unsigned header may change: the signature covers what it lists, no more
      const mailer = await verifyWithDkimpy(Buffer.from(signed.replace('X-Mailer: not signed', 'X-Mailer: changed'), 'latin1'), dns);
      assert.equal(mailer.verified, true, mailer.reason);
      // relaxed: whitespace changes on the way (folding, spaces) do not break it
      const refolded = await verifyWithDkimpy(Buffer.from(signed.replace('To: user@example.net', 'To:   user@example.net\r\n '), 'latin1'), dns);
      assert.equal(refolded.verified, true, refolded.reason);
    });
  }

  test('a key published for another selector does not verify', async () => {
    const other = await startDnsServer({ [dkimRecordName(rsa.selector, 'example.jp')]: { TXT: [dkimRecord(ed.privateKey)] } });
    try {
      const verdict = await verifyWithDkimpy(await dkimSign(MESSAGE, rsa, SIGNED_AT), other);
      assert.equal(verdict.verified, false);
    } finally {
      await other.close();
    }
  });
});

test('the DNS record is the public half: v=DKIM1, k= and p=', FILE_TIMEOUT, () => {
  assert.match(dkimRecord(rsa.privateKey), /^v=DKIM1; k=rsa; p=MIIBIjAN[A-Za-z0-9+/]+=*$/);
  const edRecord = dkimRecord(ed.privateKey);
  assert.match(edRecord, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
  assert.equal(Buffer.from(edRecord.split('p=')[1] ?? '', 'base64').length, 32, 'RFC 8463: the raw 32-byte key');
  assert.equal(dkimRecordName('relay2026', 'example.jp'), 'relay2026._domainkey.example.jp');
});
