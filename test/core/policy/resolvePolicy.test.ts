// Valid policies resolve to the DeliveryPolicy the relay runs on: presets applied, formats parsed,
// the precedence between the file and the built-ins as docs/policy.md states it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPolicy } from '../../../src/core/policy/check';
import { BUILT_IN_REACTIONS, DESTINATION_PRESETS, SMART_HOST_PROFILES, STANDARD_WARMUP_STEPS } from '../../../src/core/policy/presets';
import { builtInPolicy } from '../../../src/core/policy/resolve';
import { summarizePolicy } from '../../../src/core/policy/summary';
import { type DeliveryPolicy, destinationFor } from '../../../src/core/policy/types';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

function resolved(json: unknown): DeliveryPolicy {
  const checked = checkPolicy(json, 'relay-policy.json');
  if (!checked.ok) assert.fail(`expected a valid policy, got:\n${checked.problems.join('\n')}`);
  return checked.policy;
}

const PRESET_NAMES = ['jp-docomo', 'jp-au', 'jp-softbank', 'jp-ymobile', 'yahoo-japan', 'gmail', 'outlook', 'yahoo', 'icloud'];

test('without a file the built-in presets and reactions apply, and no smart host limit', FILE_TIMEOUT, () => {
  const policy = builtInPolicy();
  assert.equal(policy.source, 'built-in');
  assert.deepEqual(
    policy.destinations.map((d) => d.name),
    PRESET_NAMES,
  );
  assert.deepEqual(policy.destinations[0], {
    name: 'jp-docomo',
    domains: ['docomo.ne.jp'],
    preset: 'jp-docomo',
    rate: [{ count: 60, seconds: 60, text: '60/min' }],
    concurrency: 1,
    lifetimeSeconds: 4 * 3600,
  });
  assert.equal(destinationFor(policy, 'ezweb.ne.jp')?.maxMessageBytes, 3_000_000);
  assert.deepEqual(destinationFor(policy, 'yahoo.co.jp')?.rate, [{ count: 10, seconds: 1, text: '10/s' }]);
  assert.equal(destinationFor(policy, 'yahoo.co.jp')?.concurrency, 2);
  assert.deepEqual(destinationFor(policy, 'gmail.com')?.rate, [], 'the big providers cost nothing: no rate');
  assert.equal(destinationFor(policy, 'gmail.com')?.concurrency, undefined);
  assert.equal(destinationFor(policy, 'example.net'), undefined);
  assert.equal(policy.smartHosts.size, 0);
  assert.deepEqual(policy.warmup, []);
  assert.deepEqual(
    policy.reactions.map((r) => r.name),
    BUILT_IN_REACTIONS.map((r) => r.name),
  );
});

test('every preset, profile and built-in reaction resolves', FILE_TIMEOUT, () => {
  assert.deepEqual(Object.keys(DESTINATION_PRESETS), PRESET_NAMES);
  for (const [name, preset] of Object.entries(DESTINATION_PRESETS)) {
    assert.ok(preset.source.length > 20, `${name} says where its numbers come from`);
    const policy = resolved({ builtIn: false, destinations: { mine: { preset: name } } });
    assert.deepEqual(policy.destinations[0]?.domains, preset.domains, name);
    assert.equal(policy.destinations[0]?.preset, name);
  }
  for (const [name, profile] of Object.entries(SMART_HOST_PROFILES)) {
    const limits = resolved({ smartHosts: { default: { profile: name } } }).smartHosts.get('default');
    assert.deepEqual(
      limits?.rate.map((r) => r.text),
      profile.rate,
      name,
    );
  }
  const acs = resolved({ smartHosts: { default: { profile: 'acs-custom-domain' } } }).smartHosts.get('default');
  assert.deepEqual(acs, {
    name: 'default',
    profile: 'acs-custom-domain',
    rate: [
      { count: 30, seconds: 60, text: '30/min' },
      { count: 100, seconds: 3600, text: '100/h' },
    ],
  });
  const exchange = resolved({ smartHosts: { default: { profile: 'exchange-online' } } }).smartHosts.get('default');
  assert.deepEqual(exchange?.rate[1], { count: 10000, seconds: 86400, text: '10000/day' });
  const tss04 = builtInPolicy().reactions.find((r) => r.name === 'yahoo-japan-tss04');
  assert.deepEqual(tss04, {
    name: 'yahoo-japan-tss04',
    pattern: /\[TSS04\]/i,
    destinations: ['yahoo-japan'],
    threshold: { count: 2, windowSeconds: 3600 },
    action: 'suspend',
    target: 'destination',
    durationSeconds: 3600,
  });
});

test('the built-in reactions match the replies they are for, and not their neighbours', FILE_TIMEOUT, () => {
  const byName = new Map(builtInPolicy().reactions.map((r) => [r.name, r]));
  const matches = (name: string, reply: string) => byName.get(name)?.pattern.test(reply) ?? assert.fail(`no reaction ${name}`);
  assert.ok(matches('yahoo-japan-tss04', '421 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints'));
  assert.ok(matches('yahoo-japan-ipts04', '421 [IPTS04] Messages from 192.0.2.1 temporarily deferred'));
  assert.ok(matches('yahoo-japan-vs-ip', '553 Mail from 192.0.2.1 not allowed - VS98-IP0 deferred'));
  assert.ok(matches('yahoo-japan-vs-ip', '553 Mail from 192.0.2.1 not allowed - VS10-IP3 deferred'));
  assert.ok(!matches('yahoo-japan-tss04', '421 [TSS05] Messages from 192.0.2.1 temporarily deferred'));
  assert.ok(matches('gmail-rate-limit', '421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP address.'));
  assert.ok(!matches('gmail-rate-limit', '421-4.7.0 Try again later, closing connection.'));
  const gmail = byName.get('gmail-rate-limit');
  assert.equal(gmail?.action, 'suspend', 'the gmail preset has no rate to slow');
  assert.equal(gmail?.rateFactor, undefined);
  assert.equal(gmail?.durationSeconds, 1800);
});

test('a full policy resolves to the expected DeliveryPolicy', FILE_TIMEOUT, () => {
  const policy = resolved({
    $schema: './relay-policy.schema.json',
    builtIn: false,
    destinations: {
      docomo: {
        preset: 'jp-docomo',
        rate: ['20/min', '1000/day'],
        hours: { from: '08:00', to: '21:00', timeZone: 'Asia/Tokyo' },
        lifetime: '90m',
      },
      partners: { domains: ['Partner.Example', 'bücher.example', 'partner.example'], concurrency: 3, lifetime: 600, maxMessageBytes: 1_000_000 },
    },
    smartHosts: { default: { profile: 'acs-custom-domain', rate: '10/min', concurrency: 4 } },
    warmup: {
      senders: { 'News.Example.jp': { start: '2026-12-01', schedule: 'standard' } },
      smartHosts: {
        default: {
          start: '2026-12-03',
          schedule: [
            { day: 0, perDay: 50 },
            { day: 2, perHour: 10, perDay: 200 },
          ],
        },
      },
    },
    reactions: [
      {
        name: 'docomo-busy',
        match: '421 .*busy',
        destinations: ['docomo'],
        threshold: '3/h',
        action: 'slow',
        target: 'destination',
        rateFactor: 0.25,
        duration: '30m',
      },
      { name: 'acs-quota', match: '4\\.5\\.127', action: 'suspend', target: 'smartHost', duration: 900 },
    ],
  });
  assert.deepEqual(policy, {
    destinations: [
      {
        name: 'docomo',
        domains: ['docomo.ne.jp'],
        preset: 'jp-docomo',
        rate: [
          { count: 20, seconds: 60, text: '20/min' },
          { count: 1000, seconds: 86400, text: '1000/day' },
        ],
        concurrency: 1,
        hours: { from: '08:00', to: '21:00', timeZone: 'Asia/Tokyo' },
        lifetimeSeconds: 5400,
      },
      { name: 'partners', domains: ['partner.example', 'xn--bcher-kva.example'], rate: [], concurrency: 3, lifetimeSeconds: 600, maxMessageBytes: 1_000_000 },
    ],
    smartHosts: new Map([['default', { name: 'default', profile: 'acs-custom-domain', rate: [{ count: 10, seconds: 60, text: '10/min' }], concurrency: 4 }]]),
    routes: [],
    dkim: new Map(),
    warmup: [
      { kind: 'sender', name: 'news.example.jp', startsAt: new Date('2026-12-01T00:00:00Z'), steps: STANDARD_WARMUP_STEPS.map((s) => ({ ...s })) },
      {
        kind: 'smartHost',
        name: 'default',
        startsAt: new Date('2026-12-03T00:00:00Z'),
        steps: [
          { day: 0, perDay: 50 },
          { day: 2, perHour: 10, perDay: 200 },
        ],
      },
    ],
    reactions: [
      {
        name: 'docomo-busy',
        pattern: /421 .*busy/i,
        destinations: ['docomo'],
        threshold: { count: 3, windowSeconds: 3600 },
        action: 'slow',
        target: 'destination',
        rateFactor: 0.25,
        durationSeconds: 1800,
      },
      { name: 'acs-quota', pattern: /4\.5\.127/i, action: 'suspend', target: 'smartHost', durationSeconds: 900 },
    ],
    source: 'relay-policy.json',
  });
});

test('the standard warm-up: 20 an hour on day 0, about x1.4 a day, 19.6 million on day 41', FILE_TIMEOUT, () => {
  assert.equal(STANDARD_WARMUP_STEPS.length, 42);
  assert.deepEqual(STANDARD_WARMUP_STEPS[0], { day: 0, perHour: 20 });
  assert.equal(STANDARD_WARMUP_STEPS[41]?.perHour, 19_601_056);
  for (let day = 1; day < STANDARD_WARMUP_STEPS.length; day++) {
    const ratio = (STANDARD_WARMUP_STEPS[day]?.perHour ?? 0) / (STANDARD_WARMUP_STEPS[day - 1]?.perHour ?? 1);
    assert.ok(ratio > 1.35 && ratio < 1.45, `day ${day}: x${ratio.toFixed(2)}`);
  }
});

test('precedence: a file destination of a built-in name starts from it and replaces it; file domains leave the built-ins', FILE_TIMEOUT, () => {
  const policy = resolved({
    destinations: {
      'jp-docomo': { rate: '10/min' },
      'my-softbank': { domains: ['softbank.ne.jp', 'i.softbank.jp', 'disney.ne.jp', 'vodafone.ne.jp'], rate: '5/min' },
      'my-au': { domains: ['au.com'] },
    },
  });
  const docomo = destinationFor(policy, 'docomo.ne.jp');
  assert.equal(docomo?.name, 'jp-docomo');
  assert.deepEqual(docomo?.rate, [{ count: 10, seconds: 60, text: '10/min' }], 'the file sets the rate');
  assert.equal(docomo?.concurrency, 1, 'the rest comes from the preset of its name');
  assert.equal(policy.destinations.filter((d) => d.name === 'jp-docomo').length, 1, 'the built-in one is replaced');
  assert.equal(destinationFor(policy, 'softbank.ne.jp')?.name, 'my-softbank');
  assert.equal(
    policy.destinations.find((d) => d.name === 'jp-softbank'),
    undefined,
    'a built-in left without domains is dropped',
  );
  assert.equal(destinationFor(policy, 'au.com')?.name, 'my-au');
  assert.deepEqual(policy.destinations.find((d) => d.name === 'jp-au')?.domains, ['ezweb.ne.jp'], 'the built-in keeps its other domains');
  assert.deepEqual(
    policy.destinations.slice(0, 3).map((d) => d.name),
    ['jp-docomo', 'my-softbank', 'my-au'],
    'the file first, in its order',
  );
});

test('precedence: builtIn false drops the built-ins; builtIn parts drop one kind; a reaction of a built-in name replaces it', FILE_TIMEOUT, () => {
  const none = resolved({ builtIn: false });
  assert.deepEqual(none.destinations, []);
  assert.deepEqual(none.reactions, []);
  const noReactions = resolved({ builtIn: { reactions: false } });
  assert.equal(noReactions.destinations.length, PRESET_NAMES.length);
  assert.deepEqual(noReactions.reactions, []);
  const noDestinations = resolved({ builtIn: { destinations: false } });
  assert.deepEqual(noDestinations.reactions, [], 'built-in reactions go with the destinations they are for');
  const ownYahoo = resolved({ builtIn: { destinations: false }, destinations: { 'yahoo-japan': {} } });
  assert.deepEqual(
    ownYahoo.reactions.map((r) => r.name),
    ['yahoo-japan-tss04', 'yahoo-japan-ipts04', 'yahoo-japan-vs-ip'],
  );
  const replaced = resolved({ reactions: [{ name: 'yahoo-japan-tss04', match: 'TSS04', action: 'suspend', target: 'destination', duration: '3h' }] });
  const tss04 = replaced.reactions.filter((r) => r.name === 'yahoo-japan-tss04');
  assert.equal(tss04.length, 1);
  assert.equal(tss04[0]?.durationSeconds, 3 * 3600);
  assert.equal(tss04[0]?.destinations, undefined);
});

test('the summary line names the source, the destinations and the smart host limits', FILE_TIMEOUT, () => {
  const policy = resolved({
    builtIn: false,
    destinations: { 'jp-docomo': { hours: { from: '08:00', to: '21:00', timeZone: 'Asia/Tokyo' } }, mine: { domains: ['example.jp'] } },
    smartHosts: { default: { profile: 'acs-custom-domain' } },
    warmup: { senders: { 'example.jp': { start: '2026-12-01', schedule: 'standard' } } },
  });
  assert.equal(
    summarizePolicy(policy),
    'Delivery policy (relay-policy.json): 2 destinations: jp-docomo 60/min x1 08:00-21:00 240min, mine; smart host default 30/min+100/h (acs-custom-domain); 0 reactions; warm-up: sender example.jp',
  );
  assert.equal(summarizePolicy(builtInPolicy()).split(';')[1]?.trim(), 'smart host default unlimited');
});

test('dkim: one key per sender domain, the domain lower case and A-label', FILE_TIMEOUT, () => {
  const policy = resolved({
    dkim: {
      'Example.JP': { selector: 'relay2026', privateKeySetting: 'DKIM_EXAMPLE_JP_KEY' },
      '例え.jp': { selector: 'Sel-1', privateKeySetting: 'dkim_idn_key' },
    },
  });
  assert.deepEqual(
    [...policy.dkim.entries()],
    [
      ['example.jp', { domain: 'example.jp', selector: 'relay2026', privateKeySetting: 'DKIM_EXAMPLE_JP_KEY' }],
      ['xn--r8jz45g.jp', { domain: 'xn--r8jz45g.jp', selector: 'Sel-1', privateKeySetting: 'dkim_idn_key' }],
    ],
  );
  assert.equal(builtInPolicy().dkim.size, 0, 'no file, no key: nothing is signed');
});

test('a destination charset: iso-2022-jp in any case, on a preset or a list of domains; none by default', FILE_TIMEOUT, () => {
  const policy = resolved({ destinations: { 'jp-docomo': { charset: 'ISO-2022-JP' }, legacy: { domains: ['legacy.example'], charset: 'iso-2022-jp' } } });
  assert.equal(destinationFor(policy, 'docomo.ne.jp')?.charset, 'iso-2022-jp');
  assert.equal(destinationFor(policy, 'docomo.ne.jp')?.concurrency, 1, 'the preset still applies');
  assert.equal(destinationFor(policy, 'legacy.example')?.charset, 'iso-2022-jp');
  assert.equal(destinationFor(policy, 'ezweb.ne.jp')?.charset, undefined);
  assert.equal(
    builtInPolicy().destinations.some((d) => d.charset !== undefined),
    false,
    'no preset sets a charset: modern handsets read UTF-8',
  );
});
