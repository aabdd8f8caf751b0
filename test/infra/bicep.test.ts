// The official Bicep CLI must compile and lint infra/main.bicep without a single diagnostic:
// a warning today (an unknown property, a secret in an output) is a failed deployment tomorrow.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bicep, compileTemplate, infraDir, skipWithoutBicep, templatePath } from './bicep';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 900_000 };

// Bicep prints "path(line,col) : Warning|Error|Info rule: message" for each diagnostic.
const diagnostic = /\)\s*:\s*(Warning|Error|Info)\b/;

describe('Bicep CLI', { ...FILE_TIMEOUT, skip: skipWithoutBicep() }, () => {
  test('compiles infra/main.bicep to an ARM template with no warnings or errors', async () => {
    const { template, stderr } = await compileTemplate();
    assert.doesNotMatch(stderr, diagnostic, `bicep build reported:\n${stderr}`);
    assert.match(String(template.$schema), /deploymentTemplate\.json/);
    assert.ok(Object.keys(template.parameters).length > 0);
  });

  test('bicep lint reports nothing, with the project linter settings in force', async () => {
    // infra/bicepconfig.json raises the security rules to errors; make sure it is the one read.
    const config = JSON.parse(readFileSync(path.join(infraDir, 'bicepconfig.json'), 'utf8')) as {
      analyzers: { core: { rules: Record<string, { level: string }> } };
    };
    assert.equal(config.analyzers.core.rules['outputs-should-not-contain-secrets'].level, 'error');
    const { stdout, stderr } = await bicep(['lint', templatePath]);
    const output = `${stdout}\n${stderr}`;
    assert.doesNotMatch(output, diagnostic, `bicep lint reported:\n${output}`);
  });

  test('every template parameter has a description', async () => {
    const { template } = await compileTemplate();
    const undocumented = Object.entries(template.parameters)
      .filter(([, p]) => !p.metadata?.description)
      .map(([name]) => name);
    assert.deepEqual(undocumented, []);
  });

  test('main.parameters.json names only template parameters, each required one included, no password', async () => {
    const { template } = await compileTemplate();
    const file = JSON.parse(readFileSync(path.join(infraDir, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, { value?: unknown }> };
    const given = Object.keys(file.parameters);
    const unknown = given.filter((name) => !(name in template.parameters));
    assert.deepEqual(unknown, [], 'parameters the template does not declare');
    const required = Object.entries(template.parameters)
      .filter(([, p]) => !('defaultValue' in p))
      .map(([name]) => name);
    assert.deepEqual(
      required.filter((name) => !given.includes(name)),
      [],
      'required parameters missing from the file',
    );
    assert.ok(!given.includes('smartHostPassword'), 'the password never goes in a parameters file');
  });
});
