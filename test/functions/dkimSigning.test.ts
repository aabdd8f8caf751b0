// DKIM through the real functions, Azurite and the development smart host: a policy with a key per
// sender domain (Ed25519 for example.jp, RSA-2048 for example.com, that one as a one-line value
// with "\n" escapes), and what the smart host received verified by dkimpy, an independent verifier,
// against a DNS server on loopback serving the public keys. A tampered copy must fail; a sender
// domain without a key is sent unsigned; a missing key stops the host at start-up, naming it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { dkimRecord, dkimRecordName } from '../../src/core/dkim/record';
import type { ReceivedMessage } from '../../src/local/devSmartHost';
import { type DnsServer, startDnsServer } from '../support/dnsServer';
import { skipWithoutDkimpy, verifyWithDkimpy } from '../support/dkimpy';
import { message, type RelayHarness, startRelayHarness } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

const ED25519 = generateKeyPairSync('ed25519').privateKey;
const RSA = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const pem = (key: KeyObject): string => key.export({ format: 'pem', type: 'pkcs8' }).toString();

const POLICY = {
  dkim: {
    'example.jp': { selector: 'ed2026', privateKeySetting: 'DKIM_EXAMPLE_JP_KEY' },
    'EXAMPLE.com': { selector: 'rsa2026', privateKeySetting: 'DKIM_EXAMPLE_COM_KEY' },
  },
};

describe('DKIM signatures on what the smart host receives', { ...FILE_TIMEOUT, skip: skipWithoutDkimpy() }, () => {
  let relay: RelayHarness;
  let dns: DnsServer;

  before(async () => {
    dns = await startDnsServer({
      [dkimRecordName('ed2026', 'example.jp')]: { TXT: [dkimRecord(ED25519)] },
      [dkimRecordName('rsa2026', 'example.com')]: { TXT: [dkimRecord(RSA)] },
    });
    relay = await startRelayHarness({
      env: {
        RELAY_POLICY_JSON: JSON.stringify(POLICY),
        RELAY_ALLOWED_SENDER_DOMAINS: 'example.jp,example.com,example.org',
        DKIM_EXAMPLE_JP_KEY: pem(ED25519),
        DKIM_EXAMPLE_COM_KEY: pem(RSA).trim().replace(/\n/g, '\\n'),
      },
    });
  });
  after(async () => {
    await relay?.stop();
    await dns?.close();
  });

  /** Sends one message and returns what the smart host received for each recipient, once it completed. */
  async function sendAndReceive(overrides: Record<string, unknown>): Promise<ReceivedMessage[]> {
    const answer = await relay.send(message(overrides));
    assert.equal(answer.status, 202, answer.text);
    const view = await relay.waitForStatus(answer.body.id, (v) => v.status === 'completed');
    assert.ok(
      view.recipients.every((r) => r.status === 'sent'),
      JSON.stringify(view.recipients),
    );
    return relay.smartHost.messages.filter((m) => m.raw.includes(answer.body.id));
  }

  for (const [domain, algorithm, selector] of [
    ['example.jp', 'ed25519-sha256', 'ed2026'],
    ['example.com', 'rsa-sha256', 'rsa2026'],
  ] as const) {
    test(`${algorithm} (${domain}): each recipient's copy verifies, unsubscribe headers signed; a tampered copy fails`, async () => {
      const received = await sendAndReceive({
        from: `アプリ <app@${domain}>`,
        to: ['ichiro@example.net', 'jiro@example.net'],
        cc: 'saburo@example.net',
        replyTo: `support@${domain}`,
        subject: 'ご注文ありがとうございます',
        text: 'ご注文を承りました。\nThank you for your order.',
        unsubscribe: true,
      });
      assert.equal(received.length, 3, 'one copy per recipient');
      for (const copy of received) {
        const raw = copy.raw.toString('latin1');
        assert.equal(raw.match(/^DKIM-Signature:/gm)?.length, 1, 'signed once');
        const verdict = await verifyWithDkimpy(copy.raw, dns);
        assert.equal(verdict.verified, true, `${copy.to.join()}: ${verdict.reason}`);
        assert.deepEqual([verdict.d, verdict.s, verdict.a, verdict.c], [domain, selector, algorithm, 'relaxed/relaxed']);
        for (const header of [
          'from',
          'to',
          'cc',
          'subject',
          'date',
          'message-id',
          'reply-to',
          'mime-version',
          'content-type',
          'list-unsubscribe',
          'list-unsubscribe-post',
        ]) {
          assert.ok(verdict.h.includes(header), `${header} is signed: h=${verdict.h.join(':')}`);
        }
        assert.equal(verdict.h.filter((h) => h === 'from').length, 2, 'From is oversigned');

        const otherLink = raw.replace(/(List-Unsubscribe: <[^>]*)([A-Za-z0-9])>/, (_, link: string, last: string) => `${link}${last === 'A' ? 'B' : 'A'}>`);
        assert.notEqual(otherLink, raw);
        const bodyChanged = raw.replace('Thank you for your order.', 'Thank you for your money.');
        assert.notEqual(bodyChanged, raw);
        for (const [what, tampered] of [
          ['another unsubscribe link', otherLink],
          ['a changed body', bodyChanged],
          ['a From added in front', `From: Support <help@${domain}>\r\n${raw}`],
        ] as const) {
          const bad = await verifyWithDkimpy(Buffer.from(tampered, 'latin1'), dns);
          assert.equal(bad.verified, false, `${what} must fail verification`);
        }
      }
    });
  }

  test('a sender domain without a key is sent unsigned', async () => {
    const [copy] = await sendAndReceive({ from: 'App <app@example.org>', to: 'user@example.net' });
    assert.ok(copy);
    assert.doesNotMatch(copy.raw.toString('latin1'), /^DKIM-Signature:/m);
    assert.equal((await verifyWithDkimpy(copy.raw, dns)).verified, false);
  });

  test('the host refuses to start when a key is missing, naming the domain and the setting', async () => {
    await assert.rejects(
      relay.restartHostWith({ DKIM_EXAMPLE_JP_KEY: undefined, DKIM_EXAMPLE_COM_KEY: pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey) }),
      (err: Error) => {
        assert.match(err.message, /exited with code 1 before it listened/);
        assert.match(err.message, /- DKIM key of example\.jp \(selector ed2026\): DKIM_EXAMPLE_JP_KEY is not set/);
        assert.match(err.message, /- DKIM key of example\.com \(selector rsa2026\): DKIM_EXAMPLE_COM_KEY holds a 1024-bit RSA key/);
        assert.doesNotMatch(err.message, /PRIVATE KEY|MII/, 'no key material in the start-up error');
        return true;
      },
    );
  });
});
