import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deliveryAttemptBoundMs, FUNCTION_TIMEOUT_MARGIN_MS, FUNCTION_TIMEOUT_MS, loadConfig } from '../src/config';
import { parseTimeSpan } from '../src/local/queueOptions';
import { configProblems } from './support/configProblems';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const minimal = {
  RELAY_ALLOWED_SENDER_DOMAINS: 'example.jp, Example.COM',
  SMARTHOST_HOST: 'smtp.example.net',
  SMARTHOST_USERNAME: 'relay',
  SMARTHOST_PASSWORD: 'secret ',
};

test('applies the documented defaults', FILE_TIMEOUT, () => {
  const config = loadConfig(minimal);
  assert.deepEqual([...config.allowedSenderDomains], ['example.jp', 'example.com']);
  assert.equal(config.maxRecipients, 100);
  assert.equal(config.maxMessageBytes, 10 * 1024 * 1024);
  assert.equal(config.maxRetrySeconds, 86400);
  assert.equal(config.smartHost.port, 587);
  assert.equal(config.smartHost.auth, 'login');
  assert.equal(config.smartHost.password, 'secret ', 'a password is taken as is');
  assert.equal(config.queueName, 'deliveries');
  assert.equal(config.poisonQueueName, 'deliveries-poison');
  assert.deepEqual(config.storage, { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
});

test('names each missing or wrong setting, all at once', FILE_TIMEOUT, () => {
  const problems = configProblems({ SMARTHOST_PORT: 'abc', RELAY_MAX_RECIPIENTS: '1000', SMARTHOST_AUTH: 'cram-md5' });
  const named = (name: string) => problems.some((p) => p.startsWith(name));
  for (const name of ['RELAY_ALLOWED_SENDER_DOMAINS', 'SMARTHOST_HOST', 'SMARTHOST_USERNAME', 'SMARTHOST_PORT', 'RELAY_MAX_RECIPIENTS', 'SMARTHOST_AUTH']) {
    assert.ok(named(name), `${name} should be named in:\n${problems.join('\n')}`);
  }
  assert.match(
    problems.find((p) => p.startsWith('RELAY_MAX_RECIPIENTS'))!,
    /from 1 to 100/,
  );
});

test('refuses port 25, bad names and a bad domain list', FILE_TIMEOUT, () => {
  const problems = configProblems({
    ...minimal,
    SMARTHOST_PORT: '25',
    RELAY_QUEUE_NAME: 'Bad_Queue',
    RELAY_DELIVERIES_TABLE: '1table',
    RELAY_ALLOWED_SENDER_DOMAINS: 'example.jp,localhost',
  });
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.match(problems.join('\n'), /SMARTHOST_PORT is 25: Azure blocks/);
});

test('xoauth2 needs no password; login does', FILE_TIMEOUT, () => {
  const { SMARTHOST_PASSWORD: _omit, ...withoutPassword } = minimal;
  assert.equal(loadConfig({ ...withoutPassword, SMARTHOST_AUTH: 'xoauth2' }).smartHost.auth, 'xoauth2');
  assert.deepEqual(configProblems(withoutPassword), ['SMARTHOST_PASSWORD is not set: SMARTHOST_AUTH=login needs a password']);
});

test('identity-based storage needs all three https service URIs', FILE_TIMEOUT, () => {
  const config = loadConfig({
    ...minimal,
    AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net',
    AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
    AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
    AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-000000000001',
  });
  assert.equal(config.storage.kind, 'identity');
  const problems = configProblems({ ...minimal, AzureWebJobsStorage__blobServiceUri: 'http://acct.blob.core.windows.net' });
  assert.match(problems.join('\n'), /__queueServiceUri, AzureWebJobsStorage__tableServiceUri not set/);
  assert.match(problems.join('\n'), /must be an https:\/\/ service URI/);
});

test('FUNCTION_TIMEOUT_MS is host.json functionTimeout', FILE_TIMEOUT, () => {
  const hostJson = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'host.json'), 'utf8')) as { functionTimeout: string };
  assert.equal(parseTimeSpan(hostJson.functionTimeout), FUNCTION_TIMEOUT_MS);
});

test('the SMTP timeouts must keep a delivery attempt well below functionTimeout', FILE_TIMEOUT, () => {
  const defaults = loadConfig(minimal);
  assert.ok(deliveryAttemptBoundMs(defaults.smartHost) + FUNCTION_TIMEOUT_MARGIN_MS <= FUNCTION_TIMEOUT_MS, 'the defaults fit');
  // Each within its own bounds, together too long.
  const problems = configProblems({ ...minimal, SMARTHOST_CONNECT_TIMEOUT_SECONDS: '45', SMARTHOST_SOCKET_TIMEOUT_SECONDS: '140' });
  assert.equal(problems.length, 1);
  assert.match(
    problems[0],
    /^SMARTHOST_CONNECT_TIMEOUT_SECONDS \(45\) and SMARTHOST_SOCKET_TIMEOUT_SECONDS \(140\) let one delivery attempt take 585 s .*functionTimeout of 600 s in host\.json: keep it at most 540 s/,
  );
  assert.doesNotThrow(() => loadConfig({ ...minimal, SMARTHOST_SOCKET_TIMEOUT_SECONDS: '140' }), 'exactly a minute below is enough');
});
