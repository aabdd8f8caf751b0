// Every invalid policy shape gives a clear error: the file, the JSON path and what is wrong, all
// problems at once. One row per shape; each row's words are what an operator reads at start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPolicy } from '../../../src/core/policy/check';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

interface Case {
  what: string;
  policy: unknown;
  /** one problem line, after "relay-policy.json: " */
  problem: RegExp;
}

const docomo = (changes: Record<string, unknown>) => ({ destinations: { docomo: { domains: ['docomo.ne.jp'], ...changes } } });
const reaction = (changes: Record<string, unknown>) => ({
  reactions: [{ name: 'r', match: 'x', action: 'suspend', target: 'destination', duration: '1h', ...changes }],
});

const DKIM_ENTRY = { selector: 'relay2026', privateKeySetting: 'DKIM_EXAMPLE_JP_KEY' };
const dkim = (domain: string, changes: Record<string, unknown>) => ({
  dkim: { [domain]: JSON.parse(JSON.stringify({ ...DKIM_ENTRY, ...changes })) as unknown },
});

const CASES: Case[] = [
  { what: 'not an object', policy: [], problem: /^\/: \[\] must be an object$/ },
  {
    what: 'an unknown top-level key',
    policy: { destination: {} },
    problem: /^\/: unknown key "destination" \(known keys: builtIn, destinations, smartHosts, routes, warmup, reactions, dkim\)$/,
  },
  { what: 'builtIn not a flag', policy: { builtIn: 'no' }, problem: /^\/builtIn: "no" must be true or false or an object$/ },
  {
    what: 'builtIn with an unknown part',
    policy: { builtIn: { presets: false } },
    problem: /^\/builtIn: unknown key "presets" \(known keys: destinations, reactions\)$/,
  },
  {
    what: 'a destination name with capitals',
    policy: { destinations: { DoCoMo: { domains: ['docomo.ne.jp'] } } },
    problem: /^\/destinations: "DoCoMo" is not a name \(lower-case letters/,
  },
  {
    what: 'a misspelt destination key',
    policy: docomo({ rte: '1/s' }),
    problem: /^\/destinations\/docomo: unknown key "rte" \(known keys: domains, preset, rate, concurrency, hours, lifetime, maxMessageBytes, charset\)$/,
  },
  {
    what: 'a charset the relay cannot compose in',
    policy: docomo({ charset: 'shift_jis' }),
    problem: /^\/destinations\/docomo\/charset: "shift_jis" is not a supported charset \(supported: "iso-2022-jp"\); leave "charset" out for UTF-8$/,
  },
  {
    what: 'a charset that is not a string',
    policy: docomo({ charset: 50220 }),
    problem: /^\/destinations\/docomo\/charset: 50220 must be a string$/,
  },
  {
    what: 'no domains and no preset',
    policy: { destinations: { mine: { rate: '1/s' } } },
    problem: /^\/destinations\/mine: "domains" is missing: list the recipient domains, or start from a "preset"$/,
  },
  { what: 'domains not a list', policy: docomo({ domains: 'docomo.ne.jp' }), problem: /^\/destinations\/docomo\/domains: "docomo.ne.jp" must be a list$/ },
  { what: 'an empty domain list', policy: docomo({ domains: [] }), problem: /^\/destinations\/docomo\/domains: the list is empty: give at least one domain$/ },
  {
    what: 'an address for a domain',
    policy: docomo({ domains: ['@docomo.ne.jp'] }),
    problem: /^\/destinations\/docomo\/domains\/0: "@docomo.ne.jp" is not a domain \(write it as "docomo.ne.jp"/,
  },
  {
    what: 'a one-label domain',
    policy: docomo({ domains: ['localhost'] }),
    problem: /^\/destinations\/docomo\/domains\/0: "localhost" is not a domain \(it needs at least two labels/,
  },
  {
    what: 'a domain in two destinations',
    policy: { destinations: { a: { domains: ['docomo.ne.jp'] }, b: { domains: ['example.jp', 'DOCOMO.ne.jp'] } } },
    problem: /^\/destinations\/b\/domains\/1: "docomo.ne.jp" is in both destination "a" and "b"$/,
  },
  {
    what: 'an unknown preset',
    policy: docomo({ preset: 'jp-docomo2' }),
    problem: /^\/destinations\/docomo\/preset: "jp-docomo2" is not a preset \(presets: jp-docomo, jp-au,/,
  },
  {
    what: 'a rate with a wrong unit',
    policy: docomo({ rate: '30/mn' }),
    problem: /^\/destinations\/docomo\/rate: "30\/mn" is not a rate \(write N\/s, N\/min, N\/h or N\/day\)$/,
  },
  {
    what: 'a wrong rate in a list',
    policy: docomo({ rate: ['10/min', '30/mn'] }),
    problem: /^\/destinations\/docomo\/rate\/1: "30\/mn" is not a rate \(write N\/s, N\/min, N\/h or N\/day\)$/,
  },
  { what: 'a zero rate', policy: docomo({ rate: '0/min' }), problem: /^\/destinations\/docomo\/rate: "0\/min" allows nothing: the count must be at least 1$/ },
  { what: 'a rate as a number', policy: docomo({ rate: 30 }), problem: /^\/destinations\/docomo\/rate: 30 must be a string or a list$/ },
  { what: 'an empty rate list', policy: docomo({ rate: [] }), problem: /^\/destinations\/docomo\/rate: the list is empty: give at least 1$/ },
  { what: 'concurrency 0', policy: docomo({ concurrency: 0 }), problem: /^\/destinations\/docomo\/concurrency: 0 is too small: at least 1$/ },
  { what: 'concurrency as text', policy: docomo({ concurrency: '1' }), problem: /^\/destinations\/docomo\/concurrency: "1" must be a whole number$/ },
  { what: 'a fractional concurrency', policy: docomo({ concurrency: 1.5 }), problem: /^\/destinations\/docomo\/concurrency: 1.5 must be a whole number$/ },
  {
    what: 'hours without a time zone',
    policy: docomo({ hours: { from: '08:00', to: '21:00' } }),
    problem: /^\/destinations\/docomo\/hours: "timeZone" is missing$/,
  },
  {
    what: 'hours with a bad time',
    policy: docomo({ hours: { from: '8:00', to: '21:00', timeZone: 'Asia/Tokyo' } }),
    problem: /^\/destinations\/docomo\/hours\/from: "8:00" is not a time of day \(write HH:MM, 00:00 to 23:59\)$/,
  },
  {
    what: 'hours at 24:00',
    policy: docomo({ hours: { from: '08:00', to: '24:00', timeZone: 'Asia/Tokyo' } }),
    problem: /^\/destinations\/docomo\/hours\/to: "24:00" is not a time of day/,
  },
  {
    what: 'an unknown time zone',
    policy: docomo({ hours: { from: '08:00', to: '21:00', timeZone: 'Asia/Tokio' } }),
    problem: /^\/destinations\/docomo\/hours\/timeZone: "Asia\/Tokio" is not a time zone this runtime knows \(write an IANA name such as "Asia\/Tokyo"\)$/,
  },
  {
    what: 'an empty window',
    policy: docomo({ hours: { from: '08:00', to: '08:00', timeZone: 'Asia/Tokyo' } }),
    problem: /^\/destinations\/docomo\/hours: "from" and "to" are both 08:00: the window is empty/,
  },
  {
    what: 'a lifetime in words',
    policy: docomo({ lifetime: '4 hours' }),
    problem: /^\/destinations\/docomo\/lifetime: "4 hours" is not a duration \(write e.g. "4h", "90m", "30s", "2d" or a number of seconds\)$/,
  },
  {
    what: 'a zero lifetime',
    policy: docomo({ lifetime: 0 }),
    problem: /^\/destinations\/docomo\/lifetime: 0 is not a duration: seconds must be a whole number above 0$/,
  },
  {
    what: 'maxMessageBytes as text',
    policy: docomo({ maxMessageBytes: '3MB' }),
    problem: /^\/destinations\/docomo\/maxMessageBytes: "3MB" must be a whole number$/,
  },
  {
    what: 'a second smart host with limits only',
    policy: { smartHosts: { backup: { rate: '1/s' } } },
    problem: /^\/smartHosts\/backup: "host" is missing: the smart host's name/,
  },
  {
    what: 'a host for the default smart host',
    policy: { smartHosts: { default: { host: 'smtp.example.net' } } },
    problem: /^\/smartHosts\/default\/host: "host" is not allowed for "default": the default smart host is the SMARTHOST_\* settings/,
  },
  {
    what: 'a passwordSetting for the default smart host',
    policy: { smartHosts: { default: { passwordSetting: 'X' } } },
    problem: /^\/smartHosts\/default\/passwordSetting: "passwordSetting" is not allowed for "default"/,
  },
  {
    what: 'an unknown profile',
    policy: { smartHosts: { default: { profile: 'acs' } } },
    problem: /^\/smartHosts\/default\/profile: "acs" is not a smart host profile \(profiles: acs-custom-domain, acs-managed-domain, exchange-online\)$/,
  },
  {
    what: 'a smart host rate with a wrong unit',
    policy: { smartHosts: { default: { rate: ['30/min', '100/hour'] } } },
    problem: /^\/smartHosts\/default\/rate\/1: "100\/hour" is not a rate/,
  },
  {
    what: 'a warm-up without a start',
    policy: { warmup: { senders: { 'example.jp': { schedule: 'standard' } } } },
    problem: /^\/warmup\/senders\/example.jp: "start" is missing$/,
  },
  {
    what: 'a warm-up start that is no date',
    policy: { warmup: { senders: { 'example.jp': { start: '2026-02-30', schedule: 'standard' } } } },
    problem: /^\/warmup\/senders\/example.jp\/start: "2026-02-30" is not a date \(write YYYY-MM-DD/,
  },
  {
    what: 'a warm-up sender that is no domain',
    policy: { warmup: { senders: { 'app@example.jp': { start: '2026-02-01', schedule: 'standard' } } } },
    problem: /^\/warmup\/senders\/app@example.jp: "app@example.jp" is not a domain/,
  },
  {
    what: 'an unknown schedule',
    policy: { warmup: { senders: { 'example.jp': { start: '2026-02-01', schedule: 'sendgrid' } } } },
    problem: /^\/warmup\/senders\/example.jp\/schedule: "sendgrid" is not a built-in schedule \(write "standard", or a list/,
  },
  {
    what: 'a step that caps nothing',
    policy: { warmup: { smartHosts: { default: { start: '2026-02-01', schedule: [{ day: 0 }] } } } },
    problem: /^\/warmup\/smartHosts\/default\/schedule\/0: the step caps nothing: give "perHour", "perDay" or both$/,
  },
  {
    what: 'a ramp not from day 0',
    policy: { warmup: { smartHosts: { default: { start: '2026-02-01', schedule: [{ day: 1, perDay: 50 }] } } } },
    problem: /^\/warmup\/smartHosts\/default\/schedule\/0\/day: the first step is day 1: the ramp starts at day 0/,
  },
  {
    what: 'steps out of order',
    policy: {
      warmup: {
        smartHosts: {
          default: {
            start: '2026-02-01',
            schedule: [
              { day: 0, perDay: 50 },
              { day: 3, perDay: 100 },
              { day: 2, perDay: 80 },
            ],
          },
        },
      },
    },
    problem: /^\/warmup\/smartHosts\/default\/schedule\/2\/day: day 2 comes after day 3: list the steps by ascending day$/,
  },
  {
    what: 'a step with an unknown key',
    policy: { warmup: { smartHosts: { default: { start: '2026-02-01', schedule: [{ day: 0, perMinute: 1 }] } } } },
    problem: /^\/warmup\/smartHosts\/default\/schedule\/0: unknown key "perMinute"/,
  },
  {
    what: 'a warm-up of a smart host the policy does not name',
    policy: { warmup: { smartHosts: { backup: { start: '2026-02-01', schedule: 'standard' } } } },
    problem: /^\/warmup\/smartHosts\/backup: "backup" is not a smart host of the policy \(smart hosts: default\)$/,
  },
  { what: 'dkim not an object', policy: { dkim: [] }, problem: /^\/dkim: \[\] must be an object$/ },
  {
    what: 'a dkim domain of one label',
    policy: dkim('example', {}),
    problem: /^\/dkim\/example: "example" is not a domain \(it needs at least two labels/,
  },
  {
    what: 'a dkim address for a domain',
    policy: dkim('app@example.jp', {}),
    problem: /^\/dkim\/app@example.jp: "app@example.jp" is not a domain \(write it as "docomo.ne.jp"/,
  },
  {
    what: 'a dkim domain spelt twice',
    policy: { dkim: { 'example.jp': DKIM_ENTRY, 'Example.JP': DKIM_ENTRY } },
    problem: /^\/dkim\/Example.JP: "Example.JP" is the domain "example.jp" is too: give each sender domain one key$/,
  },
  { what: 'a dkim entry not an object', policy: { dkim: { 'example.jp': 'relay2026' } }, problem: /^\/dkim\/example.jp: "relay2026" must be an object$/ },
  { what: 'a dkim entry without a selector', policy: dkim('example.jp', { selector: undefined }), problem: /^\/dkim\/example.jp: "selector" is missing$/ },
  {
    what: 'a dkim entry without its setting',
    policy: dkim('example.jp', { privateKeySetting: undefined }),
    problem: /^\/dkim\/example.jp: "privateKeySetting" is missing$/,
  },
  {
    what: 'a dkim key in the file instead of a setting name',
    policy: dkim('example.jp', { privateKeySetting: undefined, privateKey: '-----BEGIN PRIVATE KEY-----' }),
    problem: /^\/dkim\/example.jp: unknown key "privateKey" \(known keys: selector, privateKeySetting\)$/,
  },
  {
    what: 'a PEM where the setting name goes',
    policy: dkim('example.jp', { privateKeySetting: '-----BEGIN PRIVATE KEY-----\nMC4CAQAw' }),
    problem:
      /^\/dkim\/example.jp\/privateKeySetting: "-----BEGIN PRIVATE KEY-----\\nMC4CAQAw" is not a setting name .*name the app setting that holds the secret/,
  },
  {
    what: 'a setting name starting with a digit',
    policy: dkim('example.jp', { privateKeySetting: '1KEY' }),
    problem: /^\/dkim\/example.jp\/privateKeySetting: "1KEY" is not a setting name/,
  },
  {
    what: 'a selector of two labels',
    policy: dkim('example.jp', { selector: 'relay.2026' }),
    problem: /^\/dkim\/example.jp\/selector: "relay.2026" is not a selector \(one DNS label: letters, digits and inner hyphens, at most 63/,
  },
  {
    what: 'a selector with a leading hyphen',
    policy: dkim('example.jp', { selector: '-relay' }),
    problem: /^\/dkim\/example.jp\/selector: "-relay" is not a selector/,
  },
  {
    what: 'a selector with a trailing hyphen',
    policy: dkim('example.jp', { selector: 'relay-' }),
    problem: /^\/dkim\/example.jp\/selector: "relay-" is not a selector/,
  },
  {
    what: 'a selector with an underscore',
    policy: dkim('example.jp', { selector: 'relay_1' }),
    problem: /^\/dkim\/example.jp\/selector: "relay_1" is not a selector/,
  },
  { what: 'an empty selector', policy: dkim('example.jp', { selector: '' }), problem: /^\/dkim\/example.jp\/selector: "" is not a selector/ },
  {
    what: 'a selector of 64 characters',
    policy: dkim('example.jp', { selector: 'a'.repeat(64) }),
    problem: /^\/dkim\/example.jp\/selector: "a{56}\.\.\. is not a selector/,
  },
  { what: 'a selector as a number', policy: dkim('example.jp', { selector: 2026 }), problem: /^\/dkim\/example.jp\/selector: 2026 must be a string$/ },
  { what: 'reactions not a list', policy: { reactions: {} }, problem: /^\/reactions: \{\} must be a list$/ },
  {
    what: 'a reaction without a match',
    policy: { reactions: [{ name: 'r', action: 'suspend', target: 'destination', duration: '1h' }] },
    problem: /^\/reactions\/0: "match" is missing$/,
  },
  {
    what: 'a regex that does not compile',
    policy: reaction({ match: '[TSS04' }),
    problem: /^\/reactions\/0\/match: "\[TSS04" is not a regular expression \(Invalid regular expression/,
  },
  { what: 'an unknown action', policy: reaction({ action: 'bounce' }), problem: /^\/reactions\/0\/action: "bounce" is not one of "suspend", "slow"$/ },
  { what: 'an unknown target', policy: reaction({ target: 'sender' }), problem: /^\/reactions\/0\/target: "sender" is not one of "destination", "smartHost"$/ },
  {
    what: 'a threshold in words',
    policy: reaction({ threshold: '3 per hour' }),
    problem: /^\/reactions\/0\/threshold: "3 per hour" is not a threshold \(write N\/s, N\/min, N\/h or N\/day, e.g. "3\/h"/,
  },
  {
    what: 'slow without a factor',
    policy: reaction({ action: 'slow' }),
    problem: /^\/reactions\/0: a "slow" reaction needs "rateFactor": the rate is multiplied by it \(0 < rateFactor < 1\)$/,
  },
  {
    what: 'slow by a factor of 1',
    policy: reaction({ action: 'slow', rateFactor: 1 }),
    problem: /^\/reactions\/0\/rateFactor: 1 is not a slowing factor: it must be above 0 and below 1$/,
  },
  { what: 'a suspend with a factor', policy: reaction({ rateFactor: 0.5 }), problem: /^\/reactions\/0\/rateFactor: only a "slow" reaction takes a rateFactor/ },
  { what: 'a duration in words', policy: reaction({ duration: 'an hour' }), problem: /^\/reactions\/0\/duration: "an hour" is not a duration/ },
  {
    what: 'a destination not in effect',
    policy: reaction({ destinations: ['docomo'] }),
    problem: /^\/reactions\/0\/destinations\/0: "docomo" is not a destination in effect \(destinations: jp-docomo, jp-au,/,
  },
  {
    what: 'two reactions of one name',
    policy: { reactions: [reaction({}).reactions[0], reaction({ match: 'y' }).reactions[0]] },
    problem: /^\/reactions\/1\/name: "r" is also the name of \/reactions\/0: names must differ$/,
  },
  { what: 'a reaction name with a space', policy: reaction({ name: 'yahoo japan' }), problem: /^\/reactions\/0\/name: "yahoo japan" is not a name/ },
];

for (const c of CASES) {
  test(`invalid policy: ${c.what}`, FILE_TIMEOUT, () => {
    const checked = checkPolicy(c.policy, 'relay-policy.json');
    assert.equal(checked.ok, false, 'refused');
    if (checked.ok) return;
    for (const line of checked.problems) assert.ok(line.startsWith('relay-policy.json: '), `names the file: ${line}`);
    const lines = checked.problems.map((p) => p.slice('relay-policy.json: '.length));
    assert.ok(
      lines.some((l) => c.problem.test(l)),
      `expected a problem matching ${String(c.problem)}, got:\n${lines.join('\n')}`,
    );
  });
}

test('every problem of a file comes at once, each once', FILE_TIMEOUT, () => {
  const checked = checkPolicy(
    { destinations: { docomo: { domains: ['docomo.ne.jp'], rate: '30/mn', concurrency: 0, lifetime: 'soon' } }, routes: [{}], reactions: [{ name: 'r' }] },
    'RELAY_POLICY_JSON',
  );
  assert.equal(checked.ok, false);
  if (checked.ok) return;
  assert.deepEqual([...checked.problems].sort(), [
    'RELAY_POLICY_JSON: /destinations/docomo/concurrency: 0 is too small: at least 1',
    'RELAY_POLICY_JSON: /destinations/docomo/lifetime: "soon" is not a duration (write e.g. "4h", "90m", "30s", "2d" or a number of seconds)',
    'RELAY_POLICY_JSON: /destinations/docomo/rate: "30/mn" is not a rate (write N/s, N/min, N/h or N/day)',
    'RELAY_POLICY_JSON: /reactions/0: "action" is missing',
    'RELAY_POLICY_JSON: /reactions/0: "duration" is missing',
    'RELAY_POLICY_JSON: /reactions/0: "match" is missing',
    'RELAY_POLICY_JSON: /reactions/0: "target" is missing',
    'RELAY_POLICY_JSON: /routes/0: "smartHosts" is missing',
  ]);
});

test('a name that is a property of every object ("constructor") is no preset and no profile', FILE_TIMEOUT, () => {
  const checked = checkPolicy({ destinations: { constructor: {} }, smartHosts: { default: { profile: 'toString' } } }, 'relay-policy.json');
  assert.equal(checked.ok, false);
  if (checked.ok) return;
  assert.ok(
    checked.problems.includes('relay-policy.json: /destinations/constructor: "domains" is missing: list the recipient domains, or start from a "preset"'),
  );
  assert.ok(checked.problems.some((p) => p.startsWith('relay-policy.json: /smartHosts/default/profile: "toString" is not a smart host profile')));
});
