// Each setting's spec in src/config.ts (its type and bounds) is the one source: loadConfig's checks
// come from it, and docs/settings.md's table and infra/main.bicep's parameter bounds must say
// the same. Read as text, so this runs without the Bicep CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, SETTINGS, type SettingSpec } from '../src/config';
import { settingRow } from './support/settingsDoc';
import { TEST_SETTINGS } from './support/fakes';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const repoRoot = path.resolve(__dirname, '..', '..');
const catalogue: readonly SettingSpec[] = SETTINGS;

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return [...err.problems];
  }
}

test('every bounded setting is checked by its spec: both ends accepted, one past either refused, naming the setting', FILE_TIMEOUT, () => {
  const ints = catalogue.filter((s) => s.type.kind === 'int' && s.scope === 'app');
  assert.ok(ints.length >= 8, 'the scan sees the whole-number settings');
  for (const spec of ints) {
    if (spec.type.kind !== 'int') continue;
    const { min, max } = spec.type;
    // The retry delays' order is a rule across two settings, not what this checks.
    const base = { ...TEST_SETTINGS, RELAY_RETRY_MAX_DELAY_SECONDS: String(6 * 86400), RELAY_RETRY_FIRST_DELAY_SECONDS: '1' };
    for (const fine of [min, max]) assert.deepEqual(problemsOf({ ...base, [spec.name]: String(fine) }), [], `${spec.name}=${fine}`);
    for (const wrong of [min - 1, max + 1, 'x']) {
      const problems = problemsOf({ ...base, [spec.name]: String(wrong) });
      assert.ok(
        problems.includes(`${spec.name} is "${wrong}": it must be a whole number from ${min} to ${max}`),
        `${spec.name}=${wrong}: ${problems.join('; ')}`,
      );
    }
  }
});

test('every enumerated setting takes its values, in any case, and refuses others naming them', FILE_TIMEOUT, () => {
  const enums = catalogue.filter((s) => s.type.kind === 'enum');
  assert.ok(enums.length >= 1);
  for (const spec of enums) {
    if (spec.type.kind !== 'enum') continue;
    for (const value of spec.type.values) {
      assert.deepEqual(
        problemsOf({ ...TEST_SETTINGS, [spec.name]: value.toUpperCase() }).filter((p) => p.startsWith(spec.name)),
        [],
      );
    }
    const refused = problemsOf({ ...TEST_SETTINGS, [spec.name]: 'Not-A-Value' }).find((p) => p.startsWith(spec.name));
    assert.ok(refused?.includes('"not-a-value"') && spec.type.values.every((v) => refused.includes(v)), refused);
  }
});

test('every named resource setting refuses a name its rule forbids', FILE_TIMEOUT, () => {
  const names = catalogue.filter((s) => s.type.kind === 'name');
  assert.ok(names.length >= 5);
  for (const spec of names) {
    if (spec.type.kind !== 'name') continue;
    assert.ok(problemsOf({ ...TEST_SETTINGS, [spec.name]: '-Bad_Name-' }).includes(`${spec.name} is "-Bad_Name-": ${spec.type.rule}`), spec.name);
  }
});

/** The rows of the settings table in docs/settings.md, by setting name. */
function documentedSettingRows(): Map<string, string> {
  const page = readFileSync(path.join(repoRoot, 'docs', 'settings.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const line of page.split('\n')) {
    const name = /^\| `([^`]+)` \|/.exec(line)?.[1];
    if (name) rows.set(name, line);
  }
  return rows;
}

test("docs/settings.md's table says what each spec says: default, allowed values, description", FILE_TIMEOUT, () => {
  const rows = documentedSettingRows();
  for (const spec of catalogue) assert.equal(rows.get(spec.name), settingRow(spec), `${spec.name}: the row in docs/settings.md differs from src/config.ts`);
  const unknown = [...rows.keys()].filter((name) => !catalogue.some((s) => s.name === name));
  assert.deepEqual(unknown, [], 'docs/settings.md lists settings the code does not read');
});

interface BicepParam {
  type: string;
  description?: string;
  minValue?: number;
  maxValue?: number;
  allowed?: string[];
  defaultValue?: string;
}

/** The parameters of infra/main.bicep with the decorators this test compares. */
function bicepParams(text: string): Map<string, BicepParam> {
  const params = new Map<string, BicepParam>();
  // A parameter's decorators are the @-lines (an @allowed list spans several) right above it.
  const declaration = /((?:^@[\s\S]*?\n)*?)^param (\w+) ([^=\n]+?)(?: = (.+))?$/gm;
  for (const m of text.matchAll(declaration)) {
    const decorators = m[1] ?? '';
    const min = /^@minValue\((-?\d+)\)/m.exec(decorators)?.[1];
    const max = /^@maxValue\((-?\d+)\)/m.exec(decorators)?.[1];
    const allowed = /^@allowed\(\[([\s\S]*?)\]\)/m.exec(decorators)?.[1];
    const description = /^@description\('((?:[^']|'')*)'\)/m.exec(decorators)?.[1];
    params.set(m[2], {
      type: m[3],
      description: description?.replace(/''/g, "'"),
      minValue: min === undefined ? undefined : Number(min),
      maxValue: max === undefined ? undefined : Number(max),
      allowed: allowed
        ?.split('\n')
        .map((v) => v.trim().replace(/^'(.*)'$/, '$1'))
        .filter(Boolean),
      defaultValue: m[4]?.trim().replace(/^'(.*)'$/, '$1'),
    });
  }
  return params;
}

/** App setting name → the parameter that feeds it, from the template's `relaySettings` block. */
function settingsFedByParams(text: string, params: Map<string, BicepParam>): Map<string, string> {
  const block = /^var relaySettings = \{\n([\s\S]*?)^\}/m.exec(text);
  assert.ok(block, 'infra/main.bicep has a relaySettings block');
  const fed = new Map<string, string>();
  for (const line of block[1].split('\n')) {
    const m = /^\s*(\w+): (?:string\((\w+)\)|(\w+))\s*$/.exec(line);
    const param = m && (m[2] ?? m[3]);
    if (m && param && params.has(param)) fed.set(m[1], param);
  }
  return fed;
}

test("infra/main.bicep bounds each parameter that feeds a setting as the setting's spec does", FILE_TIMEOUT, () => {
  const text = readFileSync(path.join(repoRoot, 'infra', 'main.bicep'), 'utf8');
  const params = bicepParams(text);
  const fed = settingsFedByParams(text, params);
  assert.ok(fed.size >= 10, `the scan found ${fed.size} settings fed by parameters`);
  const decimals = catalogue.filter((s) => s.type.kind === 'decimal' && s.scope === 'app').map((s) => s.name);
  assert.deepEqual(
    decimals.filter((name) => !fed.has(name)),
    [],
    'every decimal setting is fed by a parameter the scan sees',
  );
  for (const [setting, paramName] of fed) {
    const spec = catalogue.find((s) => s.name === setting);
    assert.ok(spec, `${setting} is set by the template but has no spec`);
    const param = params.get(paramName)!;
    const where = `${setting} (param ${paramName})`;
    if (spec.type.kind === 'int') {
      assert.equal(param.type, 'int', `${where} is a whole number`);
      assert.equal(param.minValue, spec.type.min, `${where}: @minValue`);
      assert.equal(param.maxValue, spec.type.max, `${where}: @maxValue`);
    } else if (spec.type.kind === 'decimal') {
      // Bicep has no decimals: a string, whose description states the spec's range (loadConfig checks it at deploy)
      assert.equal(param.type, 'string', `${where} is a string holding a number`);
      assert.ok(param.description?.includes(`a number from ${spec.type.min} to ${spec.type.max}`), `${where}: @description states the range`);
      assert.equal(param.minValue, undefined, `${where}: @minValue on a string`);
    } else {
      assert.equal(param.minValue, undefined, `${where}: @minValue on a setting that is not a number`);
      assert.equal(param.maxValue, undefined, `${where}: @maxValue on a setting that is not a number`);
    }
    if (spec.type.kind === 'enum') assert.deepEqual(param.allowed, spec.type.values, `${where}: @allowed`);
    else assert.equal(param.allowed, undefined, `${where}: @allowed on a setting that is not an enumeration`);
    if (spec.default !== undefined && param.defaultValue !== undefined) assert.equal(param.defaultValue, spec.default, `${where}: default`);
  }
});

test('the Bicep parameter reader sees decorators, lists and defaults', FILE_TIMEOUT, () => {
  const sample =
    "param t { *: string } = {}\n@description('x')\n@minValue(1)\n@maxValue(9)\nparam a int = 3\n\n@allowed([\n  'p'\n  'q'\n])\nparam b string = 'p'\nparam c string\n";
  const params = bicepParams(sample);
  assert.deepEqual(params.get('a'), { type: 'int', description: 'x', minValue: 1, maxValue: 9, allowed: undefined, defaultValue: '3' });
  assert.deepEqual(params.get('b'), {
    type: 'string',
    description: undefined,
    minValue: undefined,
    maxValue: undefined,
    allowed: ['p', 'q'],
    defaultValue: 'p',
  });
  assert.equal(params.get('t')?.type, '{ *: string }');
  assert.deepEqual(params.get('c'), {
    type: 'string',
    description: undefined,
    minValue: undefined,
    maxValue: undefined,
    allowed: undefined,
    defaultValue: undefined,
  });
  assert.equal(bicepParams("@description('it''s a number from 1 to 2')\nparam d string = '1'\n").get('d')?.description, "it's a number from 1 to 2");
});
