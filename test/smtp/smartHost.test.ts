// The SMTP adapter against real SMTP servers on loopback: the development smart host (STARTTLS and
// AUTH required) and, for the refusal cases, a plain smtp-server that offers no STARTTLS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { NodemailerSmartHost } from '../../src/smtp/smartHost';
import { type DevSmartHost, startDevSmartHost } from '../../src/local/devSmartHost';
import type { RelayConfig } from '../../src/config';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

let smartHost: DevSmartHost;
const raw = Buffer.from('From: a@example.jp\r\nTo: b@example.net\r\nSubject: t\r\n\r\nbody\r\n');

before(async () => {
  smartHost = await startDevSmartHost({
    port: 0,
    certificateDir: path.join(os.tmpdir(), 'relay-test-certificate'),
    users: [{ username: 'u', password: 'p' }],
    rules: { stallData: (envelope) => envelope.to.includes('stall@example.net') },
  });
});
after(async () => {
  await smartHost?.stop();
});

function settings(overrides: Partial<RelayConfig['smartHost']> = {}): RelayConfig['smartHost'] {
  return {
    host: smartHost.host,
    port: smartHost.port,
    auth: 'login',
    username: 'u',
    password: 'p',
    oauthScope: 'unused',
    poolSize: 2,
    connectTimeoutMs: 5000,
    socketTimeoutMs: 5000,
    ...overrides,
  };
}

async function sendWith(client: NodemailerSmartHost, to: string) {
  try {
    return await client.send({ from: 'a@example.jp', to }, raw);
  } finally {
    client.close();
  }
}

test("250 is accepted, with the smart host's reply and queue id", FILE_TIMEOUT, async () => {
  for (const auth of ['login', 'plain'] as const) {
    const outcome = await sendWith(new NodemailerSmartHost(settings({ auth }), undefined, smartHost.caPem), `ok-${auth}@example.net`);
    assert.equal(outcome.kind, 'accepted', auth);
    assert.equal(outcome.smtpCode, 250);
    assert.match(outcome.response, /queued as [0-9A-F]+/);
  }
  assert.ok(smartHost.messages.find((m) => m.to[0] === 'ok-login@example.net')!.raw.equals(raw));
});

test('a refused recipient is permanent on 5xx and temporary on 4xx', FILE_TIMEOUT, async () => {
  const bounced = await sendWith(new NodemailerSmartHost(settings(), undefined, smartHost.caPem), 'bounce-x@example.net');
  assert.deepEqual({ kind: bounced.kind, code: bounced.smtpCode, enhanced: bounced.enhancedCode }, { kind: 'permanent', code: 550, enhanced: '5.1.1' });
  assert.equal(bounced.category, 'invalid-recipient');
  const greylisted = await sendWith(new NodemailerSmartHost(settings(), undefined, smartHost.caPem), 'grey-x@example.net');
  assert.deepEqual({ kind: greylisted.kind, code: greylisted.smtpCode }, { kind: 'temporary', code: 451 });
  assert.equal(greylisted.category, 'other');
});

test("each of the dev smart host's prefixes gets its category through nodemailer", FILE_TIMEOUT, async () => {
  const expected = {
    'defer-x@example.net': ['temporary', 'other'],
    'full-x@example.net': ['permanent', 'mailbox-full'],
    'toolarge-x@example.net': ['permanent', 'message-too-large'],
    'policy-x@example.net': ['permanent', 'policy'],
    'blocked-x@example.net': ['permanent', 'reputation'],
    'ratelimit-x@example.net': ['temporary', 'rate-limit'],
    'toomany-x@example.net': ['temporary', 'rate-limit'],
  };
  const seen: Record<string, string[]> = {};
  for (const to of Object.keys(expected)) {
    const outcome = await sendWith(new NodemailerSmartHost(settings(), undefined, smartHost.caPem), to);
    seen[to] = [outcome.kind, outcome.category ?? ''];
  }
  assert.deepEqual(seen, expected);
});

test('a wrong password defers (the relay is at fault, not the recipient)', FILE_TIMEOUT, async () => {
  const outcome = await sendWith(new NodemailerSmartHost(settings({ password: 'wrong' }), undefined, smartHost.caPem), 'x@example.net');
  assert.equal(outcome.kind, 'temporary');
  assert.equal(outcome.smtpCode, 535);
  assert.deepEqual([outcome.category, outcome.rule], ['auth', 'relay-eauth']);
});

test('a certificate from an untrusted CA is refused, and nothing is sent', FILE_TIMEOUT, async () => {
  const before = smartHost.messages.length;
  const outcome = await sendWith(new NodemailerSmartHost(settings()), 'untrusted@example.net');
  assert.equal(outcome.kind, 'temporary');
  assert.match(outcome.response, /certificate/i);
  assert.equal(outcome.category, 'tls');
  assert.equal(smartHost.messages.length, before);
});

test('a smart host that stalls after DATA times out and defers', FILE_TIMEOUT, async () => {
  const outcome = await sendWith(new NodemailerSmartHost(settings({ socketTimeoutMs: 500 }), undefined, smartHost.caPem), 'stall@example.net');
  assert.equal(outcome.kind, 'temporary');
  assert.match(outcome.response, /ETIMEDOUT|timeout/i);
  assert.equal(outcome.category, 'timeout');
});

test('a send finds no free pooled connection within the connect timeout: deferred, and never sent later', FILE_TIMEOUT, async () => {
  const client = new NodemailerSmartHost(settings({ poolSize: 1, connectTimeoutMs: 1000, socketTimeoutMs: 3000 }), undefined, smartHost.caPem);
  try {
    const stalled = client.send({ from: 'a@example.jp', to: 'stall@example.net' }, raw); // holds the only connection
    const started = Date.now();
    const waited = await client.send({ from: 'a@example.jp', to: 'pool-wait@example.net' }, raw);
    assert.equal(waited.kind, 'temporary');
    assert.match(waited.response, /^no connection to the smart host came free within 1 s \(all 1 of SMARTHOST_POOL_SIZE busy\)$/);
    assert.equal(waited.category, 'connection');
    assert.ok(Date.now() - started < 2500, 'it did not wait for the stalled transaction');
    assert.equal((await stalled).kind, 'temporary');
    // the connection is free again: the next send goes through, and the deferred one never went
    assert.equal((await client.send({ from: 'a@example.jp', to: 'pool-after@example.net' }, raw)).kind, 'accepted');
    assert.equal(smartHost.countFor('pool-wait@example.net'), 0);
  } finally {
    client.close();
  }
});

test('never authenticates without TLS: a server that offers no STARTTLS gets no AUTH and no mail', FILE_TIMEOUT, async () => {
  const commands: string[] = [];
  const plain = new SMTPServer({
    hideSTARTTLS: true,
    allowInsecureAuth: true,
    authOptional: true,
    onAuth(_auth, _session, callback) {
      commands.push('AUTH');
      callback(null, { user: 'u' });
    },
    onMailFrom(_address, _session, callback) {
      commands.push('MAIL');
      callback();
    },
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  try {
    const port = (plain.server.address() as AddressInfo).port;
    const outcome = await sendWith(new NodemailerSmartHost(settings({ port })), 'x@example.net');
    assert.equal(outcome.kind, 'temporary');
    assert.equal(outcome.category, 'tls');
    assert.deepEqual(commands, []);
  } finally {
    await new Promise<void>((resolve) => plain.close(() => resolve()));
  }
});

test('the smart host being down defers', FILE_TIMEOUT, async () => {
  const outcome = await sendWith(new NodemailerSmartHost(settings({ port: 1 })), 'x@example.net');
  assert.equal(outcome.kind, 'temporary');
  assert.match(outcome.response, /ECONNREFUSED/);
  assert.equal(outcome.category, 'connection');
});
