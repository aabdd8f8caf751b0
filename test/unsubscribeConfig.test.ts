// The unsubscribe settings as loadConfig reads them: a key list whose every key is long enough, and a
// Key Vault reference that did not resolve taken as unset, never as a key anyone could sign with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../src/config';
import { TEST_SETTINGS } from './support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 30_000 };

const KEY = 'k'.repeat(32);

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...TEST_SETTINGS, ...env });
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return [...err.problems];
  }
}

test('RELAY_UNSUBSCRIBE_SECRET may list several keys, each at least 32 characters', FILE_TIMEOUT, () => {
  assert.equal(loadConfig({ ...TEST_SETTINGS, RELAY_UNSUBSCRIBE_SECRET: `${KEY},${'o'.repeat(40)}` }).unsubscribeSecret, `${KEY},${'o'.repeat(40)}`);
  assert.deepEqual(problems({ RELAY_UNSUBSCRIBE_SECRET: `${KEY},${'s'.repeat(31)}` }), [
    'RELAY_UNSUBSCRIBE_SECRET key 2 of 2 is 31 characters long: each key must be at least 32 (keys are comma-separated)',
  ]);
  assert.deepEqual(problems({ RELAY_UNSUBSCRIBE_SECRET: 's'.repeat(31) }), ['RELAY_UNSUBSCRIBE_SECRET is 31 characters long: it must be at least 32']);
});

test('an unresolved Key Vault reference counts as unset for the relay secrets', FILE_TIMEOUT, () => {
  const reference = '@Microsoft.KeyVault(VaultName=smtprelay-kv-abc;SecretName=unsubscribe-secret)';
  const config = loadConfig({ ...TEST_SETTINGS, RELAY_UNSUBSCRIBE_SECRET: reference, RELAY_ACS_EVENTS_SECRET: reference });
  assert.equal(config.unsubscribeSecret, undefined);
  assert.equal(config.events.acsSecret, undefined);
});

test('RELAY_PUBLIC_URL loses its trailing slash; plain http only for loopback', FILE_TIMEOUT, () => {
  assert.equal(loadConfig({ ...TEST_SETTINGS, RELAY_PUBLIC_URL: 'https://relay.example.jp/' }).publicUrl, 'https://relay.example.jp');
  assert.equal(loadConfig({ ...TEST_SETTINGS, RELAY_PUBLIC_URL: 'http://127.0.0.1:50123' }).publicUrl, 'http://127.0.0.1:50123');
  assert.equal(problems({ RELAY_PUBLIC_URL: 'http://relay.example.jp' }).length, 1);
});
