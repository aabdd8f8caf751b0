// The DKIM keys are read and checked at start-up: each setting the policy names must hold a PEM
// private key, RSA of at least 2048 bits or Ed25519, or start-up fails naming the domain and the
// setting (and never quoting the value). Locally the key comes from the environment or from
// local.settings.json Values, as the local host loads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { loadLocalSettings } from '../src/local/settings';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const BASE = { RELAY_ALLOWED_SENDER_DOMAINS: 'example.jp', SMARTHOST_HOST: 'smtp.example.net', SMARTHOST_USERNAME: 'relay', SMARTHOST_PASSWORD: 'x' };
const POLICY = JSON.stringify({ dkim: { 'Example.JP': { selector: 'relay2026', privateKeySetting: 'DKIM_EXAMPLE_JP_KEY' } } });

const pem = (type: 'rsa' | 'ed25519' | 'ec', options: object = {}): string =>
  generateKeyPairSync(type as 'rsa', options as { modulusLength: number })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
const RSA_2048 = pem('rsa', { modulusLength: 2048 });
const ED25519 = pem('ed25519');

function withKey(value: string | undefined, changes: Record<string, string> = {}): Record<string, string> {
  return { ...BASE, RELAY_POLICY_JSON: POLICY, ...(value === undefined ? {} : { DKIM_EXAMPLE_JP_KEY: value }), ...changes };
}

/** The one problem start-up reports, after checking it names the domain and the setting. */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.problems.length, 1, err.message);
    const problem = err.problems[0] ?? '';
    assert.ok(problem.startsWith('DKIM key of example.jp (selector relay2026): DKIM_EXAMPLE_JP_KEY '), problem);
    return problem;
  }
  assert.fail('expected start-up to fail');
}

test('an Ed25519 key and an RSA-2048 key are ready to sign, by lower-case domain', FILE_TIMEOUT, () => {
  const ed = loadConfig(withKey(ED25519)).dkimKeys.get('example.jp');
  assert.equal(ed?.algorithm, 'ed25519-sha256');
  assert.equal(ed?.selector, 'relay2026');
  assert.equal(ed?.domain, 'example.jp');
  assert.equal(ed?.privateKey.type, 'private');
  const rsa = loadConfig(withKey(RSA_2048)).dkimKeys.get('example.jp');
  assert.equal(rsa?.algorithm, 'rsa-sha256');
  assert.equal(rsa?.privateKey.asymmetricKeyDetails?.modulusLength, 2048);
});

test('no dkim in the policy: no key is read and nothing is signed', FILE_TIMEOUT, () => {
  assert.equal(loadConfig(BASE).dkimKeys.size, 0);
});

test('a PEM on one line with \\n written for its line breaks, as env values often are, is read', FILE_TIMEOUT, () => {
  const oneLine = RSA_2048.trim().replace(/\n/g, '\\n');
  assert.ok(!oneLine.includes('\n'));
  assert.equal(loadConfig(withKey(oneLine)).dkimKeys.get('example.jp')?.algorithm, 'rsa-sha256');
  const crlf = ED25519.trim().replace(/\n/g, '\\r\\n');
  assert.equal(loadConfig(withKey(crlf)).dkimKeys.get('example.jp')?.algorithm, 'ed25519-sha256');
});

test('locally the key may be in local.settings.json Values, as the local host loads them', FILE_TIMEOUT, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relay-dkim-'));
  try {
    writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: { DKIM_EXAMPLE_JP_KEY: ED25519 } }));
    const settings = loadLocalSettings(dir, withKey(undefined));
    assert.equal(loadConfig(settings).dkimKeys.get('example.jp')?.algorithm, 'ed25519-sha256');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing or empty setting fails start-up, naming the domain and the setting', FILE_TIMEOUT, () => {
  assert.match(refusal(withKey(undefined)), /DKIM_EXAMPLE_JP_KEY is not set: it must hold the PEM private key/);
  assert.match(refusal(withKey('   ')), /is not set/);
});

test('garbage fails start-up, and the problem does not quote it', FILE_TIMEOUT, () => {
  const garbage = 'not-a-key-but-maybe-a-secret-0123456789';
  const problem = refusal(withKey(garbage));
  assert.match(problem, /does not hold a PEM private key/);
  assert.ok(!problem.includes(garbage));
  // a real PEM cut short: its base64 must not reach the message either
  const cut = RSA_2048.slice(0, 400);
  const cutProblem = refusal(withKey(cut));
  assert.match(cutProblem, /does not hold a PEM private key/);
  assert.ok(!cutProblem.includes(cut.split('\n')[1] ?? 'x'));
});

test('an RSA key under 2048 bits fails start-up', FILE_TIMEOUT, () => {
  assert.match(refusal(withKey(pem('rsa', { modulusLength: 1024 }))), /holds a 1024-bit RSA key: it must be at least 2048 bits/);
});

test('an EC key, a public key and an encrypted key fail start-up, each saying why', FILE_TIMEOUT, () => {
  assert.match(refusal(withKey(pem('ec', { namedCurve: 'P-256' }))), /holds a ec key: DKIM signs with RSA \(at least 2048 bits\) or Ed25519/);
  const publicPem = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
  assert.match(refusal(withKey(publicPem)), /holds a public key: the setting takes the private key; the public key goes into DNS/);
  const encrypted = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pass' }).toString();
  assert.match(refusal(withKey(encrypted)), /holds an encrypted key: store it without a passphrase/);
});

test('a Key Vault reference Azure did not resolve fails start-up: it is not a key', FILE_TIMEOUT, () => {
  const reference = '@Microsoft.KeyVault(VaultName=relay-kv;SecretName=DKIM-EXAMPLE-JP-KEY)';
  assert.match(refusal(withKey(reference)), /is a Key Vault reference that did not resolve/);
});

test("the key may not be in one of the relay's own settings", FILE_TIMEOUT, () => {
  const policy = JSON.stringify({ dkim: { 'example.jp': { selector: 'relay2026', privateKeySetting: 'SMARTHOST_PASSWORD' } } });
  assert.throws(
    () => loadConfig({ ...BASE, RELAY_POLICY_JSON: policy }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.includes(
        "DKIM key of example.jp (selector relay2026): SMARTHOST_PASSWORD is one of the relay's own settings: give the key a setting of its own (e.g. DKIM_EXAMPLE_JP_KEY)",
      ),
  );
});

test('every domain with a problem is named, all at once', FILE_TIMEOUT, () => {
  const policy = JSON.stringify({
    dkim: { 'example.jp': { selector: 'a', privateKeySetting: 'KEY_A' }, 'example.com': { selector: 'b', privateKeySetting: 'KEY_B' } },
  });
  assert.throws(
    () => loadConfig({ ...BASE, RELAY_POLICY_JSON: policy }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.filter((p) => p.startsWith('DKIM key of example.jp (selector a): KEY_A ') || p.startsWith('DKIM key of example.com (selector b): KEY_B '))
        .length === 2,
  );
});
