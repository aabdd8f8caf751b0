// Each smart host of the policy gets its password from the app setting its passwordSetting names,
// at start-up: missing (or an unresolved Key Vault reference), the app does not start, and the
// problem names the smart host and the setting, never a password. The other connection values
// default to the SMARTHOST_* settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config';
import { configProblems } from './support/configProblems';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const BASE = {
  RELAY_ALLOWED_SENDER_DOMAINS: 'example.jp',
  SMARTHOST_HOST: 'smtp.example.net',
  SMARTHOST_USERNAME: 'relay',
  SMARTHOST_PASSWORD: 'default-secret',
  SMARTHOST_POOL_SIZE: '7',
  SMARTHOST_OAUTH_SCOPE: 'https://outlook.office365.com/.default',
  RELAY_IDENTITY_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
};

const POLICY = JSON.stringify({
  smartHosts: {
    domestic: { host: 'smtp.relay.example.jp', username: 'relay@example.jp', passwordSetting: 'SMARTHOST_DOMESTIC_PASSWORD', poolSize: 2 },
    exchange: { host: 'smtp.office365.com', auth: 'xoauth2', username: 'relay@contoso.com', identityClientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' },
  },
});

test('every smart host gets its connection: its own keys, its password from its setting, the rest from SMARTHOST_*', FILE_TIMEOUT, () => {
  const config = loadConfig({ ...BASE, RELAY_POLICY_JSON: POLICY, SMARTHOST_DOMESTIC_PASSWORD: 'domestic secret ' });
  assert.deepEqual([...config.smartHostConnections.keys()], ['default', 'domestic', 'exchange']);
  assert.equal(config.smartHostConnections.get('default'), config.smartHost);
  assert.deepEqual(config.smartHostConnections.get('domestic'), {
    host: 'smtp.relay.example.jp',
    port: 587,
    auth: 'login',
    username: 'relay@example.jp',
    password: 'domestic secret ',
    oauthScope: 'https://outlook.office365.com/.default',
    identityClientId: '11111111-2222-3333-4444-555555555555',
    poolSize: 2,
    connectTimeoutMs: 30_000,
    socketTimeoutMs: 120_000,
  });
  const exchange = config.smartHostConnections.get('exchange');
  assert.equal(exchange?.auth, 'xoauth2');
  assert.equal(exchange?.password, undefined);
  assert.equal(exchange?.identityClientId, 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'its own identity');
  assert.equal(exchange?.poolSize, 7, 'SMARTHOST_POOL_SIZE');
});

test('a missing password setting stops the start, naming the smart host and the setting', FILE_TIMEOUT, () => {
  const problems = configProblems({ ...BASE, RELAY_POLICY_JSON: POLICY });
  assert.deepEqual(
    problems.filter((p) => p.includes('domestic')),
    [
      'smart host "domestic": SMARTHOST_DOMESTIC_PASSWORD is not set: its passwordSetting names it as the setting holding the password (locally an environment variable or local.settings.json "Values", in Azure a Key Vault reference)',
    ],
  );
  assert.equal(configProblems({ ...BASE, RELAY_POLICY_JSON: POLICY, SMARTHOST_DOMESTIC_PASSWORD: '' }).length, 1, 'empty is unset');
});

test('an unresolved Key Vault reference is no password, and the problem does not repeat it', FILE_TIMEOUT, () => {
  const reference = '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/domestic/)';
  const problems = configProblems({ ...BASE, RELAY_POLICY_JSON: POLICY, SMARTHOST_DOMESTIC_PASSWORD: reference });
  assert.equal(problems.length, 1);
  assert.match(problems[0] ?? '', /^smart host "domestic": SMARTHOST_DOMESTIC_PASSWORD is an unresolved Key Vault reference/);
  assert.ok(!problems[0]?.includes('vault.azure.net'));
});

test('a policy problem of a smart host is a start-up problem too (port 25, a connection key on default)', FILE_TIMEOUT, () => {
  const policy = JSON.stringify({
    smartHosts: { default: { host: 'x.example.net' }, domestic: { host: 'smtp.example.jp', port: 25, username: 'u', passwordSetting: 'P' } },
  });
  const problems = configProblems({ ...BASE, RELAY_POLICY_JSON: policy, P: 'pw' });
  assert.ok(problems.some((p) => p.startsWith('RELAY_POLICY_JSON: /smartHosts/domestic/port: 25 is blocked outbound in Azure')));
  assert.ok(problems.some((p) => p.startsWith('RELAY_POLICY_JSON: /smartHosts/default/host: "host" is not allowed for "default"')));
  assert.ok(!problems.join('\n').includes('pw'), 'no password in a problem');
});
