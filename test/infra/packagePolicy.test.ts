// infra/package.sh ships relay-policy.json at the zip's root when the project has one (the app reads
// it there), refuses one that is not JSON, and ships none when there is none. Run on a copy of the
// script in a small project of its own, so the real project root is left as it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { infraDir } from './bicep';
import { zipEntries } from './zip';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

function project(policy?: string): string {
  const root = mkdtempSync(path.join(tmpdir(), 'relay-package-policy-'));
  mkdirSync(path.join(root, 'infra'));
  mkdirSync(path.join(root, 'dist', 'functions'), { recursive: true });
  copyFileSync(path.join(infraDir, 'package.sh'), path.join(root, 'infra', 'package.sh'));
  writeFileSync(path.join(root, 'dist', 'functions', 'hello.js'), '');
  writeFileSync(path.join(root, 'host.json'), '{"version": "2.0"}');
  writeFileSync(path.join(root, 'package.json'), '{"name": "fixture", "version": "1.0.0", "private": true}');
  writeFileSync(
    path.join(root, 'package-lock.json'),
    '{"name": "fixture", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": {"": {"name": "fixture", "version": "1.0.0"}}}',
  );
  if (policy !== undefined) writeFileSync(path.join(root, 'relay-policy.json'), policy);
  return root;
}

function packageIt(root: string) {
  const zip = path.join(root, 'app.zip');
  const result = spawnSync('bash', [path.join(root, 'infra', 'package.sh'), zip], { encoding: 'utf8', timeout: 100_000 });
  return { result, entries: existsSync(zip) ? zipEntries(readFileSync(zip)) : [] };
}

test('relay-policy.json at the project root is shipped at the zip root; none is shipped when there is none', FILE_TIMEOUT, () => {
  const withPolicy = project('{"destinations": {"docomo": {"preset": "jp-docomo"}}}');
  const shipped = packageIt(withPolicy);
  assert.equal(shipped.result.status, 0, shipped.result.stderr);
  assert.ok(shipped.entries.includes('relay-policy.json'), shipped.entries.join(', '));
  assert.ok(shipped.entries.includes('host.json'));
  rmSync(withPolicy, { recursive: true, force: true });

  const without = project();
  const none = packageIt(without);
  assert.equal(none.result.status, 0, none.result.stderr);
  assert.ok(!none.entries.includes('relay-policy.json'));
  rmSync(without, { recursive: true, force: true });
});

test('a relay-policy.json that is not JSON stops the packaging', FILE_TIMEOUT, () => {
  const root = project('{"destinations": ');
  const { result, entries } = packageIt(root);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /package\.sh: relay-policy\.json is not JSON; fix it before packaging/);
  assert.deepEqual(entries, []);
  rmSync(root, { recursive: true, force: true });
});
