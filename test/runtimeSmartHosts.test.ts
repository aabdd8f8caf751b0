// The composition root makes one SMTP pool per smart host of the policy, by name, `default` among
// them; a stand-in for `default` (the tests' stub) replaces that one only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config';
import type { SmartHost } from '../src/relay/ports';
import { buildRelayDeps } from '../src/runtime';
import { NodemailerSmartHost } from '../src/smtp/smartHost';
import { TEST_SETTINGS } from './support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const POLICY = JSON.stringify({
  smartHosts: {
    domestic: { host: 'smtp.relay.example.jp', username: 'relay@example.jp', passwordSetting: 'SMARTHOST_DOMESTIC_PASSWORD' },
    exchange: { host: 'smtp.office365.com', auth: 'xoauth2', username: 'relay@contoso.com' },
  },
});

const STUB: SmartHost = { send: () => Promise.reject(new Error('not sent in this test')), close: () => undefined };

test('one pool per smart host of the policy; a stand-in replaces default only', FILE_TIMEOUT, async () => {
  const config = loadConfig({ ...TEST_SETTINGS, RELAY_POLICY_JSON: POLICY, SMARTHOST_DOMESTIC_PASSWORD: 'pw' });
  const deps = buildRelayDeps(config, STUB);
  try {
    assert.deepEqual([...deps.smartHosts.keys()], ['default', 'domestic', 'exchange']);
    assert.equal(deps.smartHosts.get('default'), STUB);
    assert.ok(deps.smartHosts.get('domestic') instanceof NodemailerSmartHost);
    assert.ok(deps.smartHosts.get('exchange') instanceof NodemailerSmartHost);
  } finally {
    for (const host of deps.smartHosts.values()) host.close();
    await deps.senders.close();
  }
});
