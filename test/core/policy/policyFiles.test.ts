// The policy files the repository ships: relay-policy.example.json (the docomo + ACS example of
// docs/policy.md and the README) is valid, and relay-policy.schema.json, the schema editors read
// through "$schema", is the very schema the relay checks with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { checkPolicy } from '../../../src/core/policy/check';
import { editorSchema } from '../../../src/core/policy/schema';
import { destinationFor } from '../../../src/core/policy/types';
import { repoRoot } from '../../support/sourceFiles';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

function json(name: string): unknown {
  return JSON.parse(readFileSync(path.join(repoRoot, name), 'utf8'));
}

test('relay-policy.example.json is a valid policy: docomo paced in its hours, ACS limits on the smart host', FILE_TIMEOUT, () => {
  const checked = checkPolicy(json('relay-policy.example.json'), 'relay-policy.example.json');
  if (!checked.ok) assert.fail(checked.problems.join('\n'));
  const docomo = destinationFor(checked.policy, 'docomo.ne.jp');
  assert.deepEqual(
    docomo?.rate.map((r) => r.text),
    ['30/min', '1000/h'],
  );
  assert.equal(docomo?.concurrency, 1);
  assert.deepEqual(docomo?.hours, { from: '08:00', to: '21:00', timeZone: 'Asia/Tokyo' });
  assert.equal(docomo?.lifetimeSeconds, 3 * 3600);
  assert.equal(checked.policy.smartHosts.get('default')?.profile, 'acs-custom-domain');
});

test('relay-policy.schema.json is the schema the relay checks with (regenerate it from editorSchema() when that changes)', FILE_TIMEOUT, () => {
  assert.deepEqual(json('relay-policy.schema.json'), editorSchema());
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(json('relay-policy.schema.json') as object);
  assert.ok(validate(json('relay-policy.example.json')), JSON.stringify(validate.errors));
  assert.ok(!validate({ destinations: { docomo: { rte: '1/s' } } }), 'an editor sees unknown keys too');
});
