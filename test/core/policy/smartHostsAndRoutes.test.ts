// Smart hosts and routes in the policy file: each bad shape gives one clear problem at its JSON path
// (one row per shape), a good file resolves to the connections and routes the relay runs on, and the
// start-up line names the hosts and routes without a secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPolicy } from '../../../src/core/policy/check';
import { summarizePolicy } from '../../../src/core/policy/summary';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const DOMESTIC = { host: 'smtp.relay.example.jp', username: 'relay@example.jp', passwordSetting: 'SMARTHOST_DOMESTIC_PASSWORD' };

const withHost = (changes: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  smartHosts: { domestic: { ...DOMESTIC, ...changes } },
  ...extra,
});
const withRoute = (route: Record<string, unknown>) => ({ smartHosts: { domestic: DOMESTIC }, routes: [{ smartHosts: ['domestic'], ...route }] });

interface Case {
  what: string;
  policy: unknown;
  problem: RegExp;
}

const CASES: Case[] = [
  { what: 'a smart host name with capitals', policy: { smartHosts: { Domestic: DOMESTIC } }, problem: /^\/smartHosts: "Domestic" is not a name/ },
  { what: 'a named host without host', policy: withHost({ host: undefined }), problem: /^\/smartHosts\/domestic: "host" is missing/ },
  { what: 'a named host without username', policy: withHost({ username: undefined }), problem: /^\/smartHosts\/domestic: "username" is missing/ },
  {
    what: 'a login host without passwordSetting',
    policy: withHost({ passwordSetting: undefined }),
    problem: /^\/smartHosts\/domestic: "passwordSetting" is missing: auth "login" needs the name of the app setting/,
  },
  {
    what: 'a password in the file',
    policy: withHost({ password: 'secret' }),
    problem: /^\/smartHosts\/domestic: unknown key "password" \(known keys: host, port, auth, username, passwordSetting/,
  },
  {
    what: 'a passwordSetting that is no setting name',
    policy: withHost({ passwordSetting: 'my password!' }),
    problem: /^\/smartHosts\/domestic\/passwordSetting: "my password!" is not a setting name/,
  },
  { what: 'port 25', policy: withHost({ port: 25 }), problem: /^\/smartHosts\/domestic\/port: 25 is blocked outbound in Azure/ },
  { what: 'a port out of range', policy: withHost({ port: 70000 }), problem: /^\/smartHosts\/domestic\/port: 70000 must be <= 65535$/ },
  {
    what: 'an unknown auth',
    policy: withHost({ auth: 'cram-md5' }),
    problem: /^\/smartHosts\/domestic\/auth: "cram-md5" is not one of "login", "plain", "xoauth2"$/,
  },
  {
    what: 'an xoauth2 host with a passwordSetting',
    policy: withHost({ auth: 'xoauth2' }),
    problem: /^\/smartHosts\/domestic\/passwordSetting: an xoauth2 smart host takes a token, not a password/,
  },
  {
    what: 'an oauthScope on a login host',
    policy: withHost({ oauthScope: 'https://outlook.office365.com/.default' }),
    problem: /^\/smartHosts\/domestic\/oauthScope: only an xoauth2 smart host takes "oauthScope"$/,
  },
  {
    what: 'an identityClientId that is no GUID',
    policy: withHost({ auth: 'xoauth2', passwordSetting: undefined, identityClientId: 'relay' }),
    problem: /^\/smartHosts\/domestic\/identityClientId: "relay" is not a managed identity's client id/,
  },
  { what: 'a poolSize of 0', policy: withHost({ poolSize: 0 }), problem: /^\/smartHosts\/domestic\/poolSize: 0 is too small: at least 1$/ },
  {
    what: 'a port for the default smart host',
    policy: { smartHosts: { default: { port: 2525 } } },
    problem: /^\/smartHosts\/default\/port: "port" is not allowed for "default": the default smart host is the SMARTHOST_\* settings/,
  },
  { what: 'routes not a list', policy: { routes: {} }, problem: /^\/routes: \{\} must be a list$/ },
  { what: 'a route without smart hosts', policy: { routes: [{ match: {} }] }, problem: /^\/routes\/0: "smartHosts" is missing$/ },
  { what: 'a route with an empty smart host list', policy: withRoute({ smartHosts: [] }), problem: /^\/routes\/0\/smartHosts: the list is empty/ },
  {
    what: 'a route naming an unknown smart host',
    policy: withRoute({ smartHosts: ['domestic', 'backup'] }),
    problem: /^\/routes\/0\/smartHosts\/1: "backup" is not a smart host of the policy \(smart hosts: default, domestic\)$/,
  },
  {
    what: 'a route naming a smart host twice',
    policy: withRoute({ smartHosts: ['domestic', 'domestic'] }),
    problem: /^\/routes\/0\/smartHosts\/1: "domestic" is listed twice/,
  },
  {
    what: 'a route naming an unknown destination',
    policy: withRoute({ match: { destinations: ['docomo'] } }),
    problem: /^\/routes\/0\/match\/destinations\/0: "docomo" is not a destination in effect \(destinations: jp-docomo/,
  },
  {
    what: 'a route with a recipient domain that is no domain',
    policy: withRoute({ match: { recipientDomains: ['@docomo.ne.jp'] } }),
    problem: /^\/routes\/0\/match\/recipientDomains\/0: "@docomo.ne.jp" is not a domain/,
  },
  {
    what: 'a route with a sender domain that is no domain',
    policy: withRoute({ match: { senderDomains: ['localhost'] } }),
    problem: /^\/routes\/0\/match\/senderDomains\/0: "localhost" is not a domain/,
  },
  {
    what: 'a tag value that is no string',
    policy: withRoute({ match: { tags: { stream: 1 } } }),
    problem: /^\/routes\/0\/match\/tags\/stream: 1 must be a string$/,
  },
  { what: 'an unknown match key', policy: withRoute({ match: { recipients: ['a@b.jp'] } }), problem: /^\/routes\/0\/match: unknown key "recipients"/ },
  {
    what: 'warmupOverflow with one smart host',
    policy: withRoute({ warmupOverflow: true }),
    problem: /^\/routes\/0\/warmupOverflow: there is no next smart host to overflow to/,
  },
  { what: 'warmupOverflow not a flag', policy: withRoute({ warmupOverflow: 'yes' }), problem: /^\/routes\/0\/warmupOverflow: "yes" must be true or false$/ },
];

for (const c of CASES) {
  test(`invalid smart hosts or routes: ${c.what}`, FILE_TIMEOUT, () => {
    const checked = checkPolicy(c.policy, 'relay-policy.json');
    assert.equal(checked.ok, false, 'refused');
    if (checked.ok) return;
    const lines = checked.problems.map((p) => p.slice('relay-policy.json: '.length));
    assert.ok(
      lines.some((l) => c.problem.test(l)),
      `expected a problem matching ${String(c.problem)}, got:\n${lines.join('\n')}`,
    );
  });
}

const GOOD = {
  smartHosts: {
    default: { profile: 'acs-custom-domain' },
    domestic: { ...DOMESTIC, poolSize: 2, rate: '600/min' },
    exchange: {
      host: 'smtp.office365.com',
      auth: 'xoauth2',
      username: 'relay@contoso.com',
      oauthScope: 'https://outlook.office365.com/.default',
      profile: 'exchange-online',
    },
  },
  routes: [
    { match: { destinations: ['jp-docomo', 'jp-au'] }, smartHosts: ['domestic', 'default'] },
    { match: { senderDomains: ['Internal.Contoso.com'] }, smartHosts: ['exchange'] },
    { match: { tags: { stream: 'bulk' } }, smartHosts: ['default', 'domestic'], warmupOverflow: true },
  ],
  warmup: { smartHosts: { domestic: { start: '2026-12-01', schedule: 'standard' } } },
};

test('a good file resolves to the smart hosts, their connections and the routes, in order', FILE_TIMEOUT, () => {
  const checked = checkPolicy(GOOD, 'relay-policy.json');
  if (!checked.ok) assert.fail(checked.problems.join('\n'));
  const { smartHosts, routes, warmup } = checked.policy;
  assert.deepEqual([...smartHosts.keys()], ['default', 'domestic', 'exchange']);
  assert.equal(smartHosts.get('default')?.connection, undefined, 'default is the SMARTHOST_* settings');
  assert.deepEqual(smartHosts.get('domestic')?.connection, {
    host: 'smtp.relay.example.jp',
    port: 587,
    auth: 'login',
    username: 'relay@example.jp',
    passwordSetting: 'SMARTHOST_DOMESTIC_PASSWORD',
    poolSize: 2,
  });
  assert.deepEqual(
    smartHosts.get('domestic')?.rate.map((r) => r.text),
    ['600/min'],
  );
  assert.equal(smartHosts.get('exchange')?.connection?.auth, 'xoauth2');
  assert.equal(smartHosts.get('exchange')?.profile, 'exchange-online');
  assert.deepEqual(routes, [
    { match: { destinations: ['jp-docomo', 'jp-au'] }, smartHosts: ['domestic', 'default'] },
    { match: { senderDomains: ['internal.contoso.com'] }, smartHosts: ['exchange'] },
    { match: { tags: { stream: 'bulk' } }, smartHosts: ['default', 'domestic'], warmupOverflow: true },
  ]);
  assert.deepEqual(
    warmup.map((p) => [p.kind, p.name]),
    [['smartHost', 'domestic']],
  );
});

test('the start-up line names every smart host and route, and no secret or setting name', FILE_TIMEOUT, () => {
  const checked = checkPolicy(GOOD, 'relay-policy.json');
  if (!checked.ok) assert.fail(checked.problems.join('\n'));
  const line = summarizePolicy(checked.policy);
  assert.match(line, /smart host domestic smtp\.relay\.example\.jp:587 login 600\/min/);
  assert.match(line, /smart host exchange smtp\.office365\.com:587 xoauth2 .*\(exchange-online\)/);
  assert.match(
    line,
    /routes: destinations jp-docomo,jp-au -> domestic, default; senderDomains internal\.contoso\.com -> exchange; tags stream=bulk -> default, domestic \(warm-up overflow\)/,
  );
  assert.doesNotMatch(line, /SMARTHOST_DOMESTIC_PASSWORD|relay@example\.jp/);
});
