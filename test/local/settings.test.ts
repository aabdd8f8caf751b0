import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadLocalSettings } from '../../src/local/settings';
import { makeTempDir } from './hostFixtures';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

function projectWith(localSettings?: string): string {
  const root = makeTempDir('relay-settings-');
  if (localSettings !== undefined) writeFileSync(path.join(root, 'local.settings.json'), localSettings);
  return root;
}

describe('loadLocalSettings', FILE_TIMEOUT, () => {
  test('without local.settings.json, each setting gets its localDefault, else its default', () => {
    // The values the README and the contract give, written out: not read from the catalogue the code uses.
    assert.deepEqual(loadLocalSettings(projectWith(), {}), {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      RELAY_LOCAL_FUNCTION_KEY: 'local-dev-key',
      RELAY_LOCAL_ADMIN_KEY: 'local-admin-key',
      RELAY_LOCAL_PORT: '7071',
      RELAY_LOCAL_QUEUE_LEASE_SECONDS: '600',
      RELAY_LOCAL_DATA_DIR: '.local',
      RELAY_ALLOWED_SENDER_DOMAINS: 'example.com,example.jp', // a localDefault: Azure has none
      RELAY_MAX_RECIPIENTS: '100',
      RELAY_MAX_MESSAGE_BYTES: '10485760', // 10 MiB
      RELAY_MAX_RETRY_SECONDS: '86400',
      RELAY_RETRY_FIRST_DELAY_SECONDS: '60',
      RELAY_RETRY_MAX_DELAY_SECONDS: '3600',
      RELAY_QUEUE_NAME: 'deliveries',
      RELAY_DELIVERIES_TABLE: 'deliveries',
      RELAY_EVENTS_TABLE: 'deliveryevents',
      RELAY_IDEMPOTENCY_TABLE: 'idempotency',
      RELAY_BODY_CONTAINER: 'messages',
      RELAY_SUPPRESSIONS_TABLE: 'suppressions',
      RELAY_SENDERS_TABLE: 'senders',
      RELAY_SHAPING_TABLE: 'shaping',
      RELAY_SUSPENSIONS_TABLE: 'suspensions',
      RELAY_MESSAGE_INDEX_TABLE: 'messageindex',
      // RELAY_POLICY_FILE and RELAY_POLICY_JSON have none: relay-policy.json at the app root, else the presets
      RELAY_SENDGRID_API_KEY: 'local-sendgrid-api-key', // a localDefault
      RELAY_ACS_ACCESS_KEY: 'bG9jYWwtYWNzLWFjY2Vzcy1rZXktbm90LWZvci1wcm9kdWN0aW9uLW9ubHk=', // a localDefault (base64)
      RELAY_SUPPRESSION_DAYS: '30', // the contract's default
      RELAY_BOUNCE_WARN_PERCENT: '5', // SES's review rate
      RELAY_BOUNCE_PAUSE_PERCENT: '10', // SES's pause rate
      RELAY_COMPLAINT_WARN_PERCENT: '0.1',
      RELAY_COMPLAINT_PAUSE_PERCENT: '0.5',
      RELAY_BREAKER_MIN_VOLUME: '100',
      RELAY_BREAKER_WINDOW_HOURS: '24',
      RELAY_HOLD_RECHECK_SECONDS: '60',
      RELAY_EVENT_MAX_AGE_SECONDS: '600',
      RELAY_SMARTHOST_COOLOFF_FAILURES: '3',
      RELAY_SMARTHOST_COOLOFF_SECONDS: '300',
      // RELAY_PUBLIC_URL has none: the local host sets it to the address it listens on (hostMain.ts)
      RELAY_UNSUBSCRIBE_SECRET: 'local-unsubscribe-secret-not-for-production', // a localDefault
      SMARTHOST_PORT: '587',
      SMARTHOST_AUTH: 'login',
      SMARTHOST_OAUTH_SCOPE: 'https://outlook.office365.com/.default',
      SMARTHOST_POOL_SIZE: '5',
      SMARTHOST_CONNECT_TIMEOUT_SECONDS: '30',
      SMARTHOST_SOCKET_TIMEOUT_SECONDS: '120',
      // SMARTHOST_HOST, _USERNAME and _PASSWORD have no default: they stay absent.
    });
  });

  test('environment beats local.settings.json, which beats the defaults', () => {
    const root = projectWith(
      JSON.stringify({
        IsEncrypted: false,
        Values: { RELAY_QUEUE_NAME: 'from-file', SMARTHOST_HOST: 'smtp.file.example', RELAY_MAX_RECIPIENTS: '10', FILE_ONLY: 'yes' },
      }),
    );
    const settings = loadLocalSettings(root, { RELAY_QUEUE_NAME: 'from-env', SMARTHOST_HOST: '', ENV_ONLY: 'also', UNSET: undefined });
    assert.equal(settings.RELAY_QUEUE_NAME, 'from-env');
    assert.equal(settings.SMARTHOST_HOST, 'smtp.file.example', 'an empty environment variable counts as absent');
    assert.equal(settings.RELAY_MAX_RECIPIENTS, '10');
    assert.equal(settings.FILE_ONLY, 'yes');
    assert.equal(settings.ENV_ONLY, 'also');
    assert.equal('UNSET' in settings, false);
    assert.equal(settings.RELAY_ALLOWED_SENDER_DOMAINS, 'example.com,example.jp');
  });

  test('returns only strings: numbers and booleans in Values become text, null is skipped', () => {
    const root = projectWith('\uFEFF' + JSON.stringify({ Values: { RELAY_MAX_RECIPIENTS: 7, FEATURE: true, NOTHING: null } }));
    const settings = loadLocalSettings(root, {});
    assert.equal(settings.RELAY_MAX_RECIPIENTS, '7');
    assert.equal(settings.FEATURE, 'true');
    assert.equal('NOTHING' in settings, false);
    for (const [name, value] of Object.entries(settings)) assert.equal(typeof value, 'string', name);
  });

  test('a malformed local.settings.json is an error that names the file', () => {
    const root = projectWith('{ "Values": { "A": "b", } }');
    const file = path.join(root, 'local.settings.json');
    assert.throws(
      () => loadLocalSettings(root, {}),
      (error: Error) => error.message.includes(file) && /not valid JSON/.test(error.message),
    );
  });

  test('a Values entry that is not a string-like value is an error that names the file and the key', () => {
    const root = projectWith(JSON.stringify({ Values: { NESTED: { a: 1 } } }));
    assert.throws(
      () => loadLocalSettings(root, {}),
      (error: Error) => error.message.includes(path.join(root, 'local.settings.json')) && error.message.includes('Values.NESTED'),
    );
  });

  test('an encrypted local.settings.json is refused', () => {
    const root = projectWith(JSON.stringify({ IsEncrypted: true, Values: { A: 'xyz' } }));
    assert.throws(() => loadLocalSettings(root, {}), /encrypted/);
  });
});
