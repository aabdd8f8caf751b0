// infra/package.sh for real (npm included; no Azure involved): the zip Flex Consumption runs must
// hold the compiled app and its production dependencies, and nothing of the development setup.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { infraDir, repoRoot } from './bicep';
import { zipEntries } from './zip';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 300_000 };

const packageScript = path.join(infraDir, 'package.sh');

describe('infra/package.sh', FILE_TIMEOUT, () => {
  let dir: string;
  let entries: string[];
  let result: ReturnType<typeof spawnSync>;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'relay-package-'));
    result = spawnSync('bash', [packageScript, path.join(dir, 'app.zip')], { encoding: 'utf8', timeout: 300_000 });
    entries = existsSync(path.join(dir, 'app.zip')) ? zipEntries(readFileSync(path.join(dir, 'app.zip'))) : [];
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('packages the compiled app with host.json and package.json at the root', () => {
    assert.equal(result.status, 0, String(result.stderr));
    assert.ok(entries.includes('host.json'));
    assert.ok(entries.includes('package.json'));
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    assert.equal(pkg.main, 'dist/functions/*.js', 'the host finds the functions where package.json says');
    assert.ok(entries.some((e) => /^dist\/functions\/[^/]+\.js$/.test(e)));
    assert.ok(entries.includes('dist/src/config.js'));
    assert.deepEqual(entries.filter((e) => e.startsWith('dist/test/')), [], 'compiled tests stay out');
  });

  test('carries every production dependency and no development one', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      assert.ok(entries.includes(`node_modules/${dep}/package.json`), `${dep} is in the package`);
    }
    for (const dep of Object.keys(pkg.devDependencies ?? {})) {
      assert.ok(!entries.includes(`node_modules/${dep}/package.json`), `${dep} (a dev dependency) is not in the package`);
    }
  });

  test('leaves the working copy\'s own node_modules alone', () => {
    assert.ok(existsSync(path.join(repoRoot, 'node_modules', 'typescript', 'package.json')), 'dev dependencies are still installed');
  });

  test('refuses to package an unbuilt app', () => {
    // A copy of the script in a tree with no dist/ folder.
    const tree = mkdtempSync(path.join(tmpdir(), 'relay-unbuilt-'));
    try {
      mkdirSync(path.join(tree, 'infra'));
      copyFileSync(packageScript, path.join(tree, 'infra', 'package.sh'));
      const r = spawnSync('bash', [path.join(tree, 'infra', 'package.sh'), path.join(tree, 'app.zip')], { encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /run 'npm run build' first/);
      assert.ok(!existsSync(path.join(tree, 'app.zip')));
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
