// infra/package.sh for real (npm included; no Azure involved): the zip Flex Consumption runs must
// hold the compiled app and its production dependencies, and nothing of the development setup.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { infraDir, repoRoot } from './bicep';
import { unzipTo, zipEntries } from './zip';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 300_000 };

const packageScript = path.join(infraDir, 'package.sh');

/** the fields of package.json the checks read */
interface PackageJson {
  main: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

// The modules check their settings as they load; these have the shape the template gives in Azure.
// Nothing is contacted: the functions only register here.
const azureLikeSettings = {
  RELAY_ALLOWED_SENDER_DOMAINS: 'example.com',
  SMARTHOST_HOST: 'smtp.example.net',
  SMARTHOST_USERNAME: 'relay@example.com',
  SMARTHOST_PASSWORD: 'not-a-real-password',
  AzureWebJobsStorage__blobServiceUri: 'https://account.blob.core.windows.net/',
  AzureWebJobsStorage__queueServiceUri: 'https://account.queue.core.windows.net/',
  AzureWebJobsStorage__tableServiceUri: 'https://account.table.core.windows.net/',
  RELAY_IDENTITY_CLIENT_ID: '00000000-0000-4000-8000-000000000000',
};

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
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as PackageJson;
    assert.equal(pkg.main, 'dist/functions/*.js', 'the host finds the functions where package.json says');
    assert.ok(entries.some((e) => /^dist\/functions\/[^/]+\.js$/.test(e)));
    assert.ok(entries.includes('dist/src/config.js'));
    assert.deepEqual(
      entries.filter((e) => e.startsWith('dist/test/')),
      [],
      'compiled tests stay out',
    );
  });

  test('leaves out the local host, its development smart host and the bench', () => {
    assert.ok(existsSync(path.join(repoRoot, 'dist', 'src', 'local', 'devSmartHost.js')), 'the build has them, so their absence means something');
    const devOnly = entries.filter(
      (e) => /^dist\/(src\/local|bench|test)\//.test(e) || /devSmartHost|functionHost|azurite/i.test(e.replace(/^node_modules\/.*/, '')),
    );
    assert.deepEqual(devOnly, []);
  });

  test('every function registers from the unpacked zip alone', () => {
    const app = path.join(dir, 'unpacked');
    unzipTo(readFileSync(path.join(dir, 'app.zip')), app);
    const files = readdirSync(path.join(app, 'dist', 'functions'))
      .filter((f) => f.endsWith('.js'))
      .sort();
    // The project's stand-in for the worker's @azure/functions-core records what each entry point
    // registers; the entry points and @azure/functions come from the zip, nothing else from here.
    const script = `
      const path = require('path');
      const registry = require(process.argv[1]).installFunctionsCore();
      for (const file of process.argv.slice(3)) require(path.join(process.argv[2], file));
      console.log(JSON.stringify([...registry.functions.values()].map((f) => [f.metadata.name, Object.values(f.metadata.bindings ?? {}).map((b) => b.type).sort().join(',')])));`;
    const r = spawnSync(
      process.execPath,
      ['-e', script, path.join(repoRoot, 'dist', 'src', 'local', 'functionsCore.js'), path.join(app, 'dist', 'functions'), ...files],
      { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH, ...azureLikeSettings }, timeout: 60_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const registered = new Map<string, string>(JSON.parse(r.stdout.trim().split('\n').pop()!) as [string, string][]);
    assert.deepEqual([...registered.keys()].sort(), [
      'dashboard',
      'deleteSuppression',
      'deleteSuspension',
      'getAcsEmailOperation',
      'getMessageStatus',
      'getOpenApi',
      'getSenderStatus',
      'getStats',
      'getSuppression',
      'listMessages',
      'listPoison',
      'listSuppressions',
      'listSuspensions',
      'pauseSender',
      'putSuppression',
      'putSuspension',
      'receiveAcsEvents',
      'receiveDsn',
      'receiveSendGridEvents',
      'recordPoisonDelivery',
      'relayDelivery',
      'requeuePoison',
      'resumeSender',
      'sendAcsEmail',
      'sendGridMailSend',
      'sendMessage',
      'unsubscribeOneClick',
      'unsubscribePage',
    ]);
    assert.deepEqual(
      files,
      [...registered.keys()].sort().map((name) => `${name}.js`),
      'one function per entry point, named after its file',
    );
    assert.equal(registered.get('sendMessage'), 'http,httpTrigger');
    assert.equal(registered.get('relayDelivery'), 'queueTrigger');
  });

  test('carries every production dependency and no development one', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as PackageJson;
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      assert.ok(entries.includes(`node_modules/${dep}/package.json`), `${dep} is in the package`);
    }
    for (const dep of Object.keys(pkg.devDependencies ?? {})) {
      assert.ok(!entries.includes(`node_modules/${dep}/package.json`), `${dep} (a dev dependency) is not in the package`);
    }
  });

  test("leaves the working copy's own node_modules alone", () => {
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

test("npm run build's emitting tsc comes last, so deploy.sh's `npm run build -- --outDir <fresh>` reaches it", FILE_TIMEOUT, () => {
  const scripts = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const passes = (scripts.build ?? '').split('&&').map((p) => p.trim());
  assert.equal(passes.at(-1), 'tsc -p tsconfig.json', `npm passes the extra arguments to the last command only: ${scripts.build}`);
  assert.ok(readFileSync(path.join(infraDir, 'deploy.sh'), 'utf8').includes('npm run build -- --outDir'), 'deploy.sh builds into a fresh folder');
});
