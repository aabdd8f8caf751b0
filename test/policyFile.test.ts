// Finding and reading the policy: RELAY_POLICY_FILE, relay-policy.json at the app root, or
// RELAY_POLICY_JSON; each problem names where the policy came from. And loadConfig fails on one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { APP_ROOT, readDeliveryPolicy } from '../src/policyFile';
import { EMPTY_POLICY } from '../src/core/policy/types';
import { jsonErrorLocation } from '../src/core/policy/jsonLocation';
import { configProblems } from './support/configProblems';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const VALID = JSON.stringify({ builtIn: false, destinations: { docomo: { preset: 'jp-docomo' } } });

function appRoot(files: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'relay-policy-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), text);
  }
  return root;
}

function read(source: Parameters<typeof readDeliveryPolicy>[0]) {
  const problems: string[] = [];
  const policy = readDeliveryPolicy(source, problems);
  return { policy, problems };
}

test('the app root is the package root, where host.json is', FILE_TIMEOUT, () => {
  assert.equal(APP_ROOT, path.resolve(__dirname, '..', '..'));
});

test('nothing set and no file: the built-in presets', FILE_TIMEOUT, () => {
  const root = appRoot();
  const { policy, problems } = read({ appRoot: root });
  assert.deepEqual(problems, []);
  assert.equal(policy.source, 'built-in');
  assert.ok(policy.destinations.some((d) => d.name === 'jp-docomo'));
  rmSync(root, { recursive: true });
});

test('relay-policy.json at the app root is read when it exists; RELAY_POLICY_FILE is relative to the app root', FILE_TIMEOUT, () => {
  const root = appRoot({ 'relay-policy.json': VALID, 'policies/prod.json': JSON.stringify({ builtIn: false }) });
  const found = read({ appRoot: root });
  assert.deepEqual(found.problems, []);
  assert.equal(found.policy.source, path.join(root, 'relay-policy.json'));
  assert.deepEqual(
    found.policy.destinations.map((d) => d.name),
    ['docomo'],
  );
  const named = read({ appRoot: root, file: 'policies/prod.json' });
  assert.deepEqual(named.problems, []);
  assert.equal(named.policy.source, path.join(root, 'policies/prod.json'));
  assert.deepEqual(named.policy.destinations, []);
  rmSync(root, { recursive: true });
});

test('RELAY_POLICY_JSON is read when no file is named or found', FILE_TIMEOUT, () => {
  const { policy, problems } = read({ appRoot: appRoot(), json: VALID });
  assert.deepEqual(problems, []);
  assert.equal(policy.source, 'RELAY_POLICY_JSON');
  assert.equal(policy.destinations[0]?.name, 'docomo');
});

test('each bad source is a problem naming it, and leaves no policy in effect', FILE_TIMEOUT, () => {
  const root = appRoot({
    'bad.json': '{\n  "destinations": {\n    "docomo": { "rate": "1/s", }\n  }\n}\n',
    'wrong.json': '{"destinations": {"docomo": {"domains": ["docomo.ne.jp"], "rate": "30/mn"}}}',
  });
  const cases: [Parameters<typeof readDeliveryPolicy>[0], RegExp][] = [
    [{ file: 'x.json', json: VALID }, /^RELAY_POLICY_FILE and RELAY_POLICY_JSON are both set: keep the one the policy is in/],
    [{ file: 'missing.json' }, /^RELAY_POLICY_FILE \(missing\.json\): .*missing\.json cannot be read: there is no such file$/],
    [{ file: '.' }, /^RELAY_POLICY_FILE \(\.\): .* cannot be read: it is a folder$/],
    [{ file: 'bad.json' }, /^RELAY_POLICY_FILE \(bad\.json\): not JSON: .* \(line 3, column 32\)$/],
    [
      { file: 'wrong.json' },
      /^RELAY_POLICY_FILE \(wrong\.json\): \/destinations\/docomo\/rate: "30\/mn" is not a rate \(write N\/s, N\/min, N\/h or N\/day\)$/,
    ],
    [{ json: '{"builtIn": fals}' }, /^RELAY_POLICY_JSON: not JSON: .* \(line 1, column 13\)$/],
    [
      { json: '{"smartHosts": {"default": {"host": "smtp.example.net"}}}' },
      /^RELAY_POLICY_JSON: \/smartHosts\/default\/host: "host" is not allowed for "default"/,
    ],
  ];
  for (const [source, expected] of cases) {
    const { policy, problems } = read({ appRoot: root, ...source });
    assert.equal(problems.length, 1, `${JSON.stringify(source)}: ${problems.join(' | ')}`);
    assert.match(problems[0] ?? '', expected);
    assert.equal(policy, EMPTY_POLICY);
  }
  const both = read({ appRoot: appRoot({ 'relay-policy.json': VALID }), json: VALID });
  assert.match(both.problems[0] ?? '', /^RELAY_POLICY_JSON is set and relay-policy\.json is at the app root \(.*\) too: keep one/);
  assert.equal(both.policy, EMPTY_POLICY);
  const badFile = read({ appRoot: appRoot({ 'relay-policy.json': '[1,' }) });
  assert.match(badFile.problems[0] ?? '', /^relay-policy\.json: not JSON: /);
  rmSync(root, { recursive: true });
});

const SETTINGS = { RELAY_ALLOWED_SENDER_DOMAINS: 'example.jp', SMARTHOST_HOST: 'smtp.example.net', SMARTHOST_USERNAME: 'relay', SMARTHOST_PASSWORD: 'secret' };

test('loadConfig fails on a bad RELAY_POLICY_FILE or RELAY_POLICY_JSON, naming it and the problem', FILE_TIMEOUT, () => {
  assert.deepEqual(configProblems({ ...SETTINGS, RELAY_POLICY_JSON: '{"destinations": {"docomo": {"preset": "jp-docomo", "rate": "30/mn"}}}' }), [
    'RELAY_POLICY_JSON: /destinations/docomo/rate: "30/mn" is not a rate (write N/s, N/min, N/h or N/day)',
  ]);
  const [problem] = configProblems({ ...SETTINGS, RELAY_POLICY_FILE: 'no-such-policy.json' });
  assert.match(problem ?? '', /^RELAY_POLICY_FILE \(no-such-policy\.json\): .*no-such-policy\.json cannot be read: there is no such file$/);
  assert.deepEqual(configProblems({ ...SETTINGS, RELAY_POLICY_FILE: 'a.json', RELAY_POLICY_JSON: '{}' }), [
    'RELAY_POLICY_FILE and RELAY_POLICY_JSON are both set: keep the one the policy is in (a file, or the JSON in the setting)',
  ]);
  const config = loadConfig({ ...SETTINGS, RELAY_POLICY_JSON: '{"smartHosts": {"default": {"profile": "exchange-online"}}}' });
  assert.deepEqual(
    config.policy.smartHosts.get('default')?.rate.map((r) => r.text),
    ['30/min', '10000/day'],
  );
});

test('the place a text stops being JSON, whatever words JSON.parse uses in this Node version', FILE_TIMEOUT, () => {
  for (const valid of ['{}', ' [1, -2.5e3, "a\\u00e9\\n", true, false, null, {"a": {"b": []}}] ', '"x"', '0']) {
    JSON.parse(valid);
    assert.equal(jsonErrorLocation(valid), undefined, valid);
  }
  const cases: [string, number, number][] = [
    ['{"a": 1,}', 1, 9],
    ['{\n  "a": 01\n}', 2, 9],
    ['[1 2]', 1, 4],
    ['{"a": "tab\there"}', 1, 11],
    ['{"a": 1}\n x', 2, 2],
    ['', 1, 1],
    ["{'a': 1}", 1, 2],
  ];
  for (const [text, line, column] of cases) {
    assert.throws(() => JSON.parse(text), SyntaxError);
    assert.deepEqual(jsonErrorLocation(text), { line, column }, JSON.stringify(text));
  }
});
