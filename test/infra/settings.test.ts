// The app settings in infra/main.bicep and the settings the code reads must stay in step: the
// catalogue SETTINGS in src/config.ts is the code's only door to the environment, and the
// template must set every 'app' entry of it and nothing the code never reads.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sourceFiles } from '../support/sourceFiles';
import { SETTINGS, appSettingNames, loadConfig } from '../../src/config';
import { generateKeyPairSync } from 'node:crypto';
import { type Snapshot, appSettingsOf, ofType, repoRoot, requiredParams, single, skipWithoutBicep, snapshot } from './bicep';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 900_000 };

// Settings the template sets for the Functions platform; the relay code never reads them.
const PLATFORM_SETTINGS = [
  // The host's storage account besides the service URIs: without it the host can fail to create its
  // blob client at start-up (azure-functions-host #11787).
  'AzureWebJobsStorage__accountName',
];

describe('app settings in the template', { ...FILE_TIMEOUT, skip: skipWithoutBicep() }, () => {
  let snap: Snapshot;
  let settings: Record<string, string>;

  before(async () => {
    snap = await snapshot({ ...requiredParams, smartHostPassword: 'Not-a-real-password-3b8f' });
    settings = appSettingsOf(snap);
  });

  test('every setting the code reads in Azure is set by the template', () => {
    const missing = appSettingNames().filter((name) => !(name in settings));
    assert.deepEqual(missing, [], 'src/config.ts reads these but infra/main.bicep does not set them');
  });

  test('the template sets nothing that neither the code nor the platform reads', () => {
    const known = new Set([...appSettingNames(), ...PLATFORM_SETTINGS]);
    const unread = Object.keys(settings).filter((name) => !known.has(name));
    assert.deepEqual(unread, [], 'infra/main.bicep sets these but nothing reads them (add them to SETTINGS, or to PLATFORM_SETTINGS with a reason)');
  });

  test('the platform allow-list is in use and hides no setting of the code', () => {
    for (const name of PLATFORM_SETTINGS) {
      assert.ok(name in settings, `${name} is allow-listed but the template does not set it`);
      assert.ok(!SETTINGS.some((s) => s.name === name), `${name} is read by the code, so it belongs in SETTINGS, not the allow-list`);
    }
  });

  test('a policy that names no secret adds no secret and no setting', () => {
    assert.deepEqual(
      ofType(snap.predictedResources, 'Microsoft.KeyVault/vaults/secrets').filter((r) => r.name.includes('/policy-')),
      [],
    );
  });

  test('local-only settings stay out of Azure', () => {
    const local = SETTINGS.filter((s) => s.scope === 'local').map((s) => s.name);
    assert.ok(local.length > 0);
    assert.deepEqual(
      local.filter((name) => name in settings),
      [],
    );
  });

  test("the values the template sets pass the code's own validation", () => {
    // Runtime values (endpoints, client ids) are unknown until Azure creates the resources; stand in
    // values of the shape Azure gives. The Key Vault reference becomes the secret's value in Azure.
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(settings)) {
      const endpoint = /\.primaryEndpoints\.(blob|queue|table)\]$/.exec(value);
      if (endpoint) env[name] = `https://account.${endpoint[1]}.core.windows.net/`;
      else if (/\.clientId\]$/.test(value)) env[name] = '11111111-2222-4333-8444-555555555555';
      else if (/\.defaultHostName\)\]$/.test(value)) env[name] = 'https://relay.azurewebsites.net';
      else if (value.startsWith('@Microsoft.KeyVault(')) env[name] = 'a resolved secret of 32 characters or more';
      else env[name] = value;
    }
    const config = loadConfig(env);
    assert.equal(config.storage.kind, 'identity');
    assert.equal(config.storage.kind === 'identity' && config.storage.clientId, '11111111-2222-4333-8444-555555555555');
    assert.equal(config.smartHost.identityClientId, '11111111-2222-4333-8444-555555555555', 'the xoauth2 token is for the same identity');
    assert.deepEqual([...config.allowedSenderDomains], ['example.com', 'example.jp']);
    assert.equal(config.smartHost.host, requiredParams.smartHostHost);
    assert.equal(config.smartHost.port, 587);
    assert.equal(config.poisonQueueName, `${config.queueName}-poison`);
  });

  test('where the code has a default, the template defaults to the same value', () => {
    const template = settings;
    for (const spec of SETTINGS) {
      const fallback = (spec as { default?: string }).default;
      if (spec.scope !== 'app' || fallback === undefined) continue;
      assert.equal(template[spec.name], fallback, `${spec.name}: the template's default differs from src/config.ts`);
    }
  });
});

// The settings the delivery policy names for its secrets (a smart host's passwordSetting, a DKIM
// domain's privateKeySetting) are the operator's own names: deploy.sh passes them from the policy,
// and each is a Key Vault reference to a secret the template writes from the value given.
describe('app settings the delivery policy names for its secrets', { ...FILE_TIMEOUT, skip: skipWithoutBicep() }, () => {
  const NAMES = ['DKIM_EXAMPLE_JP_KEY', 'SMARTHOST_DOMESTIC_PASSWORD'];
  const KEY = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const POLICY = { dkim: { 'example.jp': { selector: 'relay2026', privateKeySetting: 'DKIM_EXAMPLE_JP_KEY' } } };
  let snap: Snapshot;
  let settings: Record<string, string>;
  let vault: string;

  before(async () => {
    snap = await snapshot({
      ...requiredParams,
      smartHostPassword: 'Not-a-real-password-3b8f',
      policyJson: JSON.stringify(POLICY),
      policySecretSettings: NAMES,
      // an empty value keeps the secret already in Key Vault
      policySecretValues: { DKIM_EXAMPLE_JP_KEY: KEY, SMARTHOST_DOMESTIC_PASSWORD: '' },
    });
    settings = appSettingsOf(snap);
    vault = single(snap.predictedResources, 'Microsoft.KeyVault/vaults').name;
  });

  test('each is an app setting referencing its own secret, which the template writes only from a value given', () => {
    const secrets = ofType(snap.predictedResources, 'Microsoft.KeyVault/vaults/secrets');
    for (const name of NAMES) {
      const secretName = `policy-${name.toLowerCase().replace(/_/g, '-')}`;
      assert.equal(settings[name], `@Microsoft.KeyVault(VaultName=${vault};SecretName=${secretName})`);
      const secret = secrets.find((r) => r.name === `${vault}/${secretName}`);
      assert.ok(secret, `the template writes ${secretName}`);
      assert.equal(secret.properties?.value, `[parameters('policySecretValues').${name}]`);
      assert.equal(secret.condition, `[not(empty(coalesce(tryGet(parameters('policySecretValues'), '${name}'), '')))]`);
    }
  });

  test('with them the catalogue still holds both ways: every setting of the code set, nothing else but the named ones', () => {
    assert.deepEqual(
      appSettingNames().filter((name) => !(name in settings)),
      [],
    );
    const known = new Set([...appSettingNames(), ...PLATFORM_SETTINGS, ...NAMES]);
    assert.deepEqual(
      Object.keys(settings).filter((name) => !known.has(name)),
      [],
    );
  });

  test('the values never reach the evaluated template', () => {
    assert.ok(!snap.text.includes('PRIVATE KEY'), 'no key material in the snapshot');
  });

  test('the app starts on these settings once Key Vault resolves the references, and signs with the key', () => {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(settings)) {
      const endpoint = /\.primaryEndpoints\.(blob|queue|table)\]$/.exec(value);
      if (endpoint) env[name] = `https://account.${endpoint[1]}.core.windows.net/`;
      else if (/\.clientId\]$/.test(value)) env[name] = '11111111-2222-4333-8444-555555555555';
      else if (/\.defaultHostName\)\]$/.test(value)) env[name] = 'https://relay.azurewebsites.net';
      else if (name === 'DKIM_EXAMPLE_JP_KEY') env[name] = KEY;
      else if (value.startsWith('@Microsoft.KeyVault(')) env[name] = 'a resolved secret of 32 characters or more';
      else env[name] = value;
    }
    assert.equal(loadConfig(env).dkimKeys.get('example.jp')?.algorithm, 'ed25519-sha256');
    // the reference Azure did not resolve is refused, naming the domain and the setting
    assert.throws(
      () => loadConfig({ ...env, DKIM_EXAMPLE_JP_KEY: settings.DKIM_EXAMPLE_JP_KEY ?? '' }),
      /DKIM key of example\.jp \(selector relay2026\): DKIM_EXAMPLE_JP_KEY is a Key Vault reference that did not resolve/,
    );
  });
});

// Files allowed to read the environment: the catalogue itself and the local host's launcher.
function mayReadEnv(relative: string): boolean {
  return relative === 'src/config.ts' || relative.startsWith('src/local/');
}

// process.env, process['env'], `const { env } = process`, and their optional-chaining forms.
const readsEnv = /\bprocess\s*(\?\.|\.)\s*env\b|\bprocess\s*(\?\.)?\s*\[\s*['"`]env['"`]\s*\]|\{[^}]*\benv\b[^}]*\}\s*=\s*(globalThis\.)?process\b/;

test('no code outside src/config.ts and src/local/ reads process.env', FILE_TIMEOUT, () => {
  const files = [...sourceFiles('functions'), ...sourceFiles('src')];
  assert.ok(files.includes('src/config.ts'), 'the scan sees the source tree');
  const offenders = files.filter((f) => !mayReadEnv(f)).filter((f) => readsEnv.test(readFileSync(path.join(repoRoot, f), 'utf8')));
  assert.deepEqual(offenders, [], 'read settings through loadConfig() in src/config.ts instead');
});

test('the process.env scan recognises the ways code reads the environment', FILE_TIMEOUT, () => {
  for (const sample of ['const x = process.env.FOO;', "process['env'].FOO", 'const { env } = process;', 'process?.env?.X']) {
    assert.match(sample, readsEnv, sample);
  }
  for (const sample of ['const envelope = build(env);', 'loadConfig(process.argv)', 'const environment = 1;']) {
    assert.doesNotMatch(sample, readsEnv, sample);
  }
});
