// docs/policy.md documents every key of the schema, every preset (with its domains), every smart
// host profile, the standard warm-up schedule as the data has it, and every built-in reaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BUILT_IN_REACTIONS, DESTINATION_PRESETS, SMART_HOST_PROFILES, STANDARD_WARMUP_STEPS } from '../../../src/core/policy/presets';
import { LATER_KEYS, POLICY_SCHEMA } from '../../../src/core/policy/schema';
import { repoRoot } from '../../support/sourceFiles';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const doc = readFileSync(path.join(repoRoot, 'docs', 'policy.md'), 'utf8');

function schemaKeys(schema: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => schemaKeys(s, found));
  else if (typeof schema === 'object' && schema !== null) {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties') Object.keys(value as object).forEach((k) => found.add(k));
      schemaKeys(value, found);
    }
  }
  return found;
}

/** The table row that starts with `name` in backticks. */
function row(name: string): string {
  const line = doc.split('\n').find((l) => l.startsWith(`| \`${name}\``));
  return line ?? assert.fail(`docs/policy.md has no table row for ${name}`);
}

test('every key of the policy file is documented, and the keys of later versions are named', FILE_TIMEOUT, () => {
  const keys = [...schemaKeys(POLICY_SCHEMA)];
  assert.ok(keys.length > 20, 'the scan sees the schema');
  assert.deepEqual(
    keys.filter((k) => !doc.includes(`\`${k}\``)),
    [],
  );
  assert.deepEqual(
    Object.keys(LATER_KEYS).filter((k) => !doc.includes(`\`${k}\``)),
    [],
  );
});

test('every preset is in the table with its domains and its source', FILE_TIMEOUT, () => {
  for (const [name, preset] of Object.entries(DESTINATION_PRESETS)) {
    const line = row(name);
    for (const domain of preset.domains) assert.ok(line.includes(domain), `${name}: ${domain}`);
    if (typeof preset.rate === 'string') assert.ok(line.includes(preset.rate), `${name}: its rate`);
    if (preset.maxMessageBytes !== undefined) assert.ok(line.includes(String(preset.maxMessageBytes)), `${name}: its size limit`);
    if (preset.source.includes('conservative')) assert.ok(line.includes('our conservative choice'), `${name}: marked as our choice`);
  }
});

test('every smart host profile and built-in reaction is in its table', FILE_TIMEOUT, () => {
  for (const [name, profile] of Object.entries(SMART_HOST_PROFILES)) {
    for (const rate of profile.rate) assert.ok(row(name).includes(rate), `${name}: ${rate}`);
  }
  for (const reaction of BUILT_IN_REACTIONS) {
    const line = row(reaction.name);
    assert.ok(line.includes(reaction.duration as string), `${reaction.name}: its duration`);
    assert.ok(line.includes(reaction.threshold ?? ''), `${reaction.name}: its threshold`);
  }
});

test('the warm-up table is the standard schedule', FILE_TIMEOUT, () => {
  const section = doc.slice(doc.indexOf('## The standard warm-up schedule'), doc.indexOf('## Built-in reactions'));
  const documented = new Map<number, number>();
  for (const line of section.split('\n').filter((l) => /^\| \d/.test(l))) {
    const cells = line
      .split('|')
      .map((c) => c.trim())
      .slice(1, -1);
    for (let i = 0; i + 1 < cells.length; i += 2) if (cells[i]) documented.set(Number(cells[i]), Number(cells[i + 1]));
  }
  assert.deepEqual(
    [...documented.entries()].sort((a, b) => a[0] - b[0]),
    STANDARD_WARMUP_STEPS.map((s) => [s.day, s.perHour]),
  );
});
