// infra/deploy.sh with `az` and `npm` replaced by STUBS on PATH that record how they were called and
// answer like the real ones would. No Azure account exists here: the stubs are the whole of Azure,
// and a loopback HTTP server stands in for the deployed app's send endpoint. zip, the packaging
// script, the pinned Bicep CLI (its answers kept for identical inputs, see bicepCache.ts) and the app's
// own loadConfig run for real.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { infraDir, repoRoot, skipWithoutBicep } from './bicep';
import { bicepMemoEnv } from './bicepCache';
import { zipEntries } from './zip';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 420_000 };

const deployScript = path.join(infraDir, 'deploy.sh');
// A deploy that gets as far as the build compiles and evaluates the template with the pinned Bicep.
const needsBicep = { skip: skipWithoutBicep() };
const secret = 'S3cret pass; with spaces & "quotes"';
const stubUserId = '0b0b0b0b-1111-4222-8333-444444444444';

// Answers like `az` would for the commands deploy.sh uses; anything else is a test failure.
const AZ_STUB = String.raw`#!/usr/bin/env node
const fs = require('fs');
const path = require('path');
const args = process.argv.slice(2);
const dir = process.env.STUB_DIR;
const b = JSON.parse(process.env.AZ_STUB_BEHAVIOUR || '{}');
const record = { args };
const first = args.findIndex((a) => a.startsWith('-'));
const cmd = (first < 0 ? args : args.slice(0, first)).join(' ');
const arg = (flag) => args[args.indexOf(flag) + 1];
// How many times this command has been called before, counting this call as 1.
const nth = (() => {
  const file = path.join(dir, 'count-' + cmd.replace(/ /g, '-') + '-' + (arg('--method') || ''));
  const n = (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0) + 1;
  fs.writeFileSync(file, String(n));
  return n;
})();
if (cmd === 'deployment group create') {
  record.parameterFiles = args.filter((a) => a.startsWith('@')).map((a) => {
    const file = a.slice(1);
    return { path: file, mode: fs.statSync(file).mode & 0o777, content: JSON.parse(fs.readFileSync(file, 'utf8')) };
  });
  record.template = JSON.parse(fs.readFileSync(arg('--template-file'), 'utf8'));
}
if (cmd === 'functionapp deployment source config-zip') {
  const src = args[args.indexOf('--src') + 1];
  fs.copyFileSync(src, path.join(dir, 'published.zip'));
  record.src = src;
}
fs.appendFileSync(path.join(dir, 'az.log'), JSON.stringify(record) + '\n');
const out = (v) => process.stdout.write(typeof v === 'string' ? v + '\n' : JSON.stringify(v) + '\n');
const fail = (msg, code = 1) => { process.stderr.write('ERROR: ' + msg + '\n'); process.exit(code); };
if (b.hang === cmd) setTimeout(() => {}, 600000); // a call that never returns
else if (cmd === 'version') out({ 'azure-cli': b.version || '2.67.0', 'azure-cli-core': b.version || '2.67.0' });
else if (cmd === 'account show') {
  if (b.loggedOut) fail("Please run 'az login' to setup account.");
  out({ name: 'Stub Subscription', id: '00000000-0000-0000-0000-00000000beef', tenantId: '00000000-0000-0000-0000-0000000000aa', user: { name: 'operator@example.com', type: b.userType || 'user' } });
} else if (cmd === 'group exists') out(b.groupExists || 'true');
else if (cmd === 'deployment group show') {
  if (b.showError) fail(b.showError);
  if (!b.previousVault) fail("Deployment '" + args[args.indexOf('--name') + 1] + "' could not be found.", 3);
  out(b.previousVault);
} else if (cmd === 'ad signed-in-user show') out('${stubUserId}');
else if (cmd === 'deployment group create') out({
  functionAppName: { type: 'String', value: 'relaytest-stub123' },
  sendUrl: { type: 'String', value: process.env.STUB_SEND_URL },
  storageAccountName: { type: 'String', value: 'relayteststub123' },
  keyVaultName: { type: 'String', value: 'relaytest-kv-stub123' },
});
else if (cmd === 'functionapp deployment source config-zip') {
  if (nth <= (b.zipFailures || 0)) fail(b.zipError || "Status Code: 403, InaccessibleStorageException: the app cannot reach its deployment storage");
  if (b.zipUnhealthy) fail('Deployment was successful but the app appears to be unhealthy, please check the app logs.');
  out({ status: 4, complete: true });
} else if (cmd === 'functionapp function list') {
  const built = fs.readdirSync(path.join(process.env.REPO_DIST, 'functions')).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3));
  const names = nth <= (b.functionsAfter || 0) ? [] : (b.functions || built);
  out(names.map((n) => 'relaytest-stub123/' + n));
} else if (cmd === 'rest' && arg('--method') === 'get' && /\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+\/secrets\/[^/?]+\?/.test(arg('--uri'))) {
  const name = /\/secrets\/([^/?]+)\?/.exec(arg('--uri'))[1];
  if (b.secretCheckError) fail(b.secretCheckError);
  if ((b.storedSecrets || []).includes(name)) out(arg('--uri').split('?')[0].replace('https://management.azure.com', ''));
  else fail('Not Found({"error":{"code":"ResourceNotFound","message":"The Resource \'Microsoft.KeyVault/vaults/v/secrets/' + name + '\' was not found."}})');
} else if (cmd === 'rest' && arg('--method') === 'post' && /\/config\/configreferences\/appsettings\/refresh\?/.test(arg('--uri'))) out({});
else if (cmd === 'rest' && arg('--method') === 'get' && /\/config\/configreferences\/appsettings\?/.test(arg('--uri'))) {
  const statuses = b.kvStatuses || ['Resolved'];
  const status = statuses[Math.min(nth, statuses.length) - 1];
  out({ value: [{ name: 'SMARTHOST_PASSWORD', properties: { reference: '@Microsoft.KeyVault(VaultName=v;SecretName=smarthost-password)', status, details: status === 'Resolved' ? 'Reference has been resolved.' : 'Access to the key vault was denied.' } }] });
} else fail('az stub: unexpected command: ' + args.join(' '), 99);
`;

// Records npm calls; the production install leaves a marker package so the zip can be checked.
const NPM_STUB = String.raw`#!/usr/bin/env node
const fs = require('fs');
const path = require('path');
const args = process.argv.slice(2);
fs.appendFileSync(path.join(process.env.STUB_DIR, 'npm.log'), JSON.stringify({
  args, cwd: process.cwd(), sawPassword: 'SMARTHOST_PASSWORD' in process.env,
  sawSecret: ['RELAY_UNSUBSCRIBE_SECRET', 'RELAY_ACS_EVENTS_SECRET', 'RELAY_NEW_UNSUBSCRIBE_SECRET', 'RELAY_SENDGRID_API_KEY', 'RELAY_ACS_ACCESS_KEY', 'RELAY_NEW_SENDGRID_KEY', 'RELAY_NEW_ACS_KEY', 'DKIM_EXAMPLE_JP_KEY'].some((n) => n in process.env),
}) + '\n');
if (args[0] === 'run' && args[1] === 'build') {
  // Stands in for tsc: the tree it compiles is already compiled into the repository's dist/.
  // Hard links where the file system allows (nothing deploy.sh runs writes into the build), else a copy.
  const outDir = args[args.indexOf('--outDir') + 1];
  const linked = !fs.existsSync(outDir) && require('child_process').spawnSync('cp', ['-al', process.env.REPO_DIST, outDir]).status === 0;
  if (!linked) fs.cpSync(process.env.REPO_DIST, outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'fresh-build.txt'), 'written by this build');
}
if (args[0] === 'ci' && args.includes('--omit=dev')) {
  fs.mkdirSync('node_modules/prod-dependency', { recursive: true });
  fs.writeFileSync('node_modules/prod-dependency/package.json', '{"name":"prod-dependency"}');
}
`;

/** an ARM parameters file as the stub az saw it */
interface ParametersFile {
  parameters: Record<string, { value: unknown }>;
}

/** the parts of the compiled ARM template the checks read */
interface CompiledTemplate {
  $schema: string;
  metadata: { _generator: { version: string } };
}

type AzCall = { args: string[]; parameterFiles?: { path: string; mode: number; content: ParametersFile }[]; template?: CompiledTemplate; src?: string };
type NpmCall = { args: string[]; cwd: string; sawPassword: boolean; sawSecret: boolean };

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  az: AzCall[];
  npm: NpmCall[];
  dir: string;
}

let root: string;
let stubBin: string;
let goodParams: string;
// Runs after the first with the same template and parameters reuse the real Bicep CLI's answer.
let bicepMemo: Record<string, string>;

// Stands in for the deployed app's send endpoint: 401 without a key, like the Functions host.
let appServer: Server;
let sendUrl: string;
let appAnswer: 'key required' | 'open' = 'key required';
const appRequests: { method?: string; key?: string }[] = [];

function writeParams(file: string, values: Record<string, unknown>): string {
  const parameters = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v }]));
  writeFileSync(
    file,
    JSON.stringify({ $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#', contentVersion: '1.0.0.0', parameters }),
  );
  return file;
}

const filled = {
  appName: 'relaytest',
  allowedSenderDomains: 'example.com',
  smartHostHost: 'smtp.example.net',
  smartHostUsername: 'relay@example.com',
};

async function deploy(args: string[], options: { behaviour?: object; password?: string; path?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const dir = mkdtempSync(path.join(root, 'run-'));
  const env: Record<string, string | undefined> = { ...process.env, DEPLOY_BACKOFF_SECONDS: '0', ...bicepMemo, ...options.env };
  delete env.SMARTHOST_PASSWORD;
  for (const name of ['RELAY_UNSUBSCRIBE_SECRET', 'RELAY_ACS_EVENTS_SECRET', 'RELAY_SENDGRID_API_KEY', 'RELAY_ACS_ACCESS_KEY'])
    if (!options.env?.[name]) delete env[name];
  if (!options.env?.INIT_CWD) delete env.INIT_CWD;
  if (options.password !== undefined) env.SMARTHOST_PASSWORD = options.password;
  env.PATH = options.path ?? `${stubBin}${path.delimiter}${process.env.PATH}`;
  env.STUB_DIR = dir;
  env.STUB_SEND_URL = sendUrl;
  env.REPO_DIST = path.join(repoRoot, 'dist');
  env.AZ_STUB_BEHAVIOUR = JSON.stringify(options.behaviour ?? {});
  // Not spawnSync: the loopback app answers from this process while deploy.sh runs.
  const child = spawn('bash', [deployScript, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  // No terminal on stdin, as in CI: deploy.sh must not wait for a prompt.
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearTimeout(timer);
  const lines = <Call>(file: string): Call[] =>
    existsSync(path.join(dir, file))
      ? readFileSync(path.join(dir, file), 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Call)
      : [];
  return { status, stdout, stderr, az: lines<AzCall>('az.log'), npm: lines<NpmCall>('npm.log'), dir };
}

/** the command words of each az call, e.g. 'deployment group create' */
const commandOf = (args: string[]) => {
  const first = args.findIndex((a) => a.startsWith('-'));
  return (first < 0 ? args : args.slice(0, first)).join(' ');
};
const azCommands = (run: Run) => run.az.map((c) => commandOf(c.args));
const azCall = (run: Run, command: string) => {
  const call = run.az.find((c) => commandOf(c.args) === command);
  assert.ok(call, `az ${command} was called`);
  return call;
};
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('infra/deploy.sh', FILE_TIMEOUT, () => {
  before(async () => {
    appServer = createServer((req, res) => {
      const key = req.headers['x-functions-key'];
      appRequests.push({ method: req.method, key: typeof key === 'string' ? key : undefined });
      req.resume();
      res.writeHead(appAnswer === 'open' || key ? 202 : 401).end();
    });
    await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
    sendUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}/api/v1/messages`;
    root = mkdtempSync(path.join(tmpdir(), 'relay-deploy-'));
    stubBin = path.join(root, 'bin');
    mkdirSync(stubBin);
    writeFileSync(path.join(stubBin, 'az'), AZ_STUB);
    writeFileSync(path.join(stubBin, 'npm'), NPM_STUB);
    chmodSync(path.join(stubBin, 'az'), 0o755);
    chmodSync(path.join(stubBin, 'npm'), 0o755);
    goodParams = writeParams(path.join(root, 'good.parameters.json'), filled);
    bicepMemo = bicepMemoEnv(path.join(root, 'bicep-memo'));
    assert.ok(existsSync(path.join(repoRoot, 'dist', 'functions')), 'the app is built (npm test builds first)');
  });

  after(async () => {
    rmSync(root, { recursive: true, force: true });
    await new Promise((resolve) => appServer?.close(resolve));
  });

  test('--help prints the usage and touches nothing', async () => {
    const run = await deploy(['--help']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Usage: npm run deploy -- --resource-group NAME/);
    for (const option of ['--location', '--parameters', '--no-operator-access', 'SMARTHOST_PASSWORD', 'DEPLOY_AZ_TIMEOUT_SECONDS', 'DEPLOY_BACKOFF_SECONDS']) {
      assert.ok(run.stdout.includes(option), `usage mentions ${option}`);
    }
    assert.deepEqual(run.az, []);
    assert.deepEqual(run.npm, []);
  });

  test('refuses to run without a resource group, or with an unknown argument', async () => {
    const none = await deploy([]);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /--resource-group is required/);
    const unknown = await deploy(['-g', 'rg-test', '--frobnicate']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown argument '--frobnicate'/);
    const dangling = await deploy(['--resource-group']);
    assert.equal(dangling.status, 2);
    assert.match(dangling.stderr, /--resource-group needs a value/);
    assert.deepEqual([...none.az, ...unknown.az, ...dangling.az], []);
  });

  test('will not take a password on the command line, where shell history keeps it', async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams, '--password', secret]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /shell history.*SMARTHOST_PASSWORD/);
    assert.deepEqual(run.az, []);
  });

  test('says how to install the Azure CLI when az is missing', async () => {
    // A PATH with the tools deploy.sh needs before it looks for az, and no az.
    const bin = path.join(root, 'no-az-bin');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['bash', 'node', 'dirname', 'zip']) {
      const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      assert.ok(found, `${tool} is installed`);
      if (!existsSync(path.join(bin, tool))) symlinkSync(found, path.join(bin, tool));
    }
    if (!existsSync(path.join(bin, 'npm'))) symlinkSync(path.join(stubBin, 'npm'), path.join(bin, 'npm'));
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, path: bin });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /'az' is required but was not found on PATH: install the Azure CLI/);
  });

  test('rejects an Azure CLI too old for Flex Consumption', async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, behaviour: { version: '2.59.9' } });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /Azure CLI 2\.59\.9 is too old: 2\.60\.0 or later/);
    assert.deepEqual(azCommands(run), ['version']);
  });

  test('asks for az login when the CLI is not logged in, before building anything', async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, behaviour: { loggedOut: true } });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /not logged in: run 'az login'/);
    assert.deepEqual(azCommands(run), ['version', 'account show']);
    assert.deepEqual(run.npm, []);
  });

  test('stops when the resource group does not exist, saying how to create it', async () => {
    const run = await deploy(['-g', 'rg-missing', '-p', goodParams], { password: secret, behaviour: { groupExists: 'false' } });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /resource group 'rg-missing' does not exist.*az group create --name rg-missing/);
    const exists = azCall(run, 'group exists');
    assert.equal(argAfter(exists.args, '--name'), 'rg-missing');
    assert.ok(!azCommands(run).includes('deployment group create'));
  });

  test('the checked-in parameters file must be filled in first', async () => {
    const run = await deploy(['-g', 'rg-test'], { password: secret });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /set allowedSenderDomains smartHostHost smartHostUsername in .*main\.parameters\.json/);
    assert.deepEqual(run.npm, []);
  });

  test('refuses a parameters file that holds the password', async () => {
    const file = writeParams(path.join(root, 'with-password.parameters.json'), { ...filled, smartHostPassword: 'oops' });
    const run = await deploy(['-g', 'rg-test', '-p', file], { password: secret });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /remove smartHostPassword from/);
  });

  test('a parameters file that is not JSON is named', async () => {
    const file = path.join(root, 'broken.parameters.json');
    writeFileSync(file, '{ "parameters": { "appName": ');
    const run = await deploy(['-g', 'rg-test', '-p', file], { password: secret });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /parameters file '.*broken\.parameters\.json' is not valid JSON/);
  });

  test('a missing parameters file is named', async () => {
    const run = await deploy(['-g', 'rg-test', '-p', path.join(root, 'nope.json')], { password: secret });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /parameters file '.*nope\.json' not found/);
  });

  test('a first deployment without a password stops instead of deploying a broken reference', async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /no smart host password given, and no earlier deployment stored one: set SMARTHOST_PASSWORD/);
    const show = azCall(run, 'deployment group show');
    assert.equal(argAfter(show.args, '--name'), 'smtp-relay-relaytest');
    assert.ok(!azCommands(run).includes('deployment group create'));
    assert.deepEqual(run.npm, []);
  });

  test('deploys: builds, packages, deploys the template, publishes the zip, checks the app, prints the URL and key command', needsBicep, async () => {
    appRequests.length = 0;
    const run = await deploy(['--resource-group', 'rg-test', '--location', 'swedencentral', '--parameters', goodParams], { password: secret });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(azCommands(run), [
      'version',
      'account show',
      'group exists',
      'deployment group show',
      'ad signed-in-user show',
      'deployment group create',
      'functionapp deployment source config-zip',
      'functionapp function list',
      'rest',
      'rest',
    ]);

    const create = azCall(run, 'deployment group create');
    assert.equal(argAfter(create.args, '--resource-group'), 'rg-test');
    assert.equal(argAfter(create.args, '--name'), 'smtp-relay-relaytest');
    // The ARM JSON the pinned Bicep CLI compiled, not main.bicep for az's own Bicep to compile.
    assert.match(argAfter(create.args, '--template-file'), /\.json$/);
    const template = create.template!;
    assert.match(template.$schema, /deploymentTemplate\.json/);
    const pinned = readFileSync(path.join(infraDir, 'bicep.sh'), 'utf8').match(/BICEP_VERSION:-([0-9.]+)/)![1];
    assert.ok(template.metadata._generator.version.startsWith(`${pinned}.`), `compiled by Bicep ${template.metadata._generator.version}, pinned ${pinned}`);
    const [fileParams, overrides] = create.parameterFiles!;
    assert.equal(fileParams.path, goodParams, "the operator's parameters file first");
    assert.equal(overrides.content.parameters.smartHostPassword.value, secret, 'the password reaches the template');
    assert.equal(overrides.content.parameters.location.value, 'swedencentral');
    assert.equal(overrides.content.parameters.operatorPrincipalId.value, stubUserId, 'the signed-in user gets operator access');
    assert.equal(overrides.content.parameters.operatorPrincipalType.value, 'User');
    // a first deployment: the relay's own secrets are generated, each its own random value
    const generated = ['unsubscribeSecret', 'acsEventsSecret'].map((name) => String(overrides.content.parameters[name]?.value));
    for (const value of generated) {
      assert.match(value, /^[A-Za-z0-9_-]{43}$/, ' 32 random bytes, base64url (no comma: the unsubscribe secret is a key list)');
      assert.ok(!`${run.stdout}${run.stderr}`.includes(value), 'a generated secret is never printed');
      for (const call of run.az) assert.ok(!call.args.some((a) => a.includes(value)), 'nor put on an az command line');
    }
    assert.notEqual(generated[0], generated[1]);
    assert.match(run.stderr, /unsubscribe secret: none stored yet, generating one/);
    // the drop-in endpoints' keys: SendGrid's as its clients expect one to look, ACS's base64 as its clients decode it
    const sendGridKey = String(overrides.content.parameters.sendgridApiKey?.value);
    const acsKey = String(overrides.content.parameters.acsAccessKey?.value);
    assert.match(sendGridKey, /^SG\.[A-Za-z0-9_-]{43}$/);
    assert.match(acsKey, /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(acsKey, 'base64').length, 32);
    for (const value of [sendGridKey, acsKey]) {
      assert.ok(!`${run.stdout}${run.stderr}`.includes(value), 'a generated key is never printed');
      for (const call of run.az) assert.ok(!call.args.some((a) => a.includes(value)), 'nor put on an az command line');
    }
    assert.match(run.stderr, /SendGrid API key: none stored yet, generating one/);
    assert.match(run.stderr, /ACS access key: none stored yet, generating one/);
    assert.match(run.stdout, /az keyvault secret show --vault-name \S+ --name sendgrid-api-key --query value --output tsv/);
    assert.match(run.stdout, /az keyvault secret show --vault-name \S+ --name acs-access-key --query value --output tsv/);
    assert.ok(!run.npm.some((c) => c.sawSecret), 'npm never sees the relay secrets');
    assert.equal(overrides.mode & 0o077, 0, 'only the deploying user can read the password file');
    assert.ok(!existsSync(overrides.path), 'the password file is gone after the run');

    for (const call of run.az) assert.ok(!call.args.some((a) => a.includes('S3cret')), `password on the az command line: ${call.args.join(' ')}`);
    assert.ok(!run.npm.some((c) => c.sawPassword), 'npm (and its install scripts) never see SMARTHOST_PASSWORD');
    assert.ok(!`${run.stdout}${run.stderr}`.includes('S3cret'), 'the password is never printed');

    assert.deepEqual(
      run.npm.map((c) => [c.args[0], c.args[1]]),
      [
        ['ci', '--no-audit'],
        ['run', 'build'],
        ['ci', '--omit=dev'],
      ],
    );
    assert.equal(run.npm[0].cwd, repoRoot);
    assert.equal(run.npm[1].cwd, repoRoot);
    const outDir = argAfter(run.npm[1].args, '--outDir');
    assert.ok(outDir && !outDir.startsWith(path.join(repoRoot, 'dist')), `the build goes to a fresh folder, not dist/ (${outDir})`);
    assert.notEqual(run.npm[2].cwd, repoRoot, 'production dependencies are installed in a staging folder');

    const publish = azCall(run, 'functionapp deployment source config-zip');
    assert.equal(argAfter(publish.args, '--name'), 'relaytest-stub123');
    assert.equal(argAfter(publish.args, '--resource-group'), 'rg-test');
    const entries = zipEntries(readFileSync(path.join(run.dir, 'published.zip')));
    for (const required of ['host.json', 'package.json', 'node_modules/prod-dependency/package.json']) {
      assert.ok(entries.includes(required), `${required} is in the package`);
    }
    assert.ok(
      entries.some((e) => /^dist\/functions\/[^/]+\.js$/.test(e)),
      'the compiled functions are in the package',
    );
    assert.deepEqual(
      entries.filter((e) => e.startsWith('dist/test/')),
      [],
      'no compiled tests in the package',
    );
    assert.ok(entries.includes('dist/fresh-build.txt'), "the package holds this run's build, not whatever dist/ held");

    const [refresh, references] = run.az.filter((c) => commandOf(c.args) === 'rest');
    const site = '/subscriptions/00000000-0000-0000-0000-00000000beef/resourceGroups/rg-test/providers/Microsoft.Web/sites/relaytest-stub123';
    assert.equal(argAfter(refresh.args, '--method'), 'post');
    assert.equal(argAfter(refresh.args, '--uri'), `${site}/config/configreferences/appsettings/refresh?api-version=2022-03-01`);
    assert.equal(argAfter(references.args, '--method'), 'get');
    assert.match(run.stderr, /every Key Vault reference is resolved/);
    assert.deepEqual(appRequests, [{ method: 'POST', key: undefined }], 'one request, without a key');
    assert.match(run.stderr, /a request without a key gets 401/);

    assert.ok(run.stdout.includes(`POST ${sendUrl}`));
    assert.match(run.stdout, /az functionapp keys list --resource-group rg-test --name relaytest-stub123 --query functionKeys\.default --output tsv/);
  });

  test('a redeploy without a password keeps the one in Key Vault', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], { behaviour: { previousVault: 'relaytest-kv-stub123' } });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /keeping the one in Key Vault relaytest-kv-stub123/);
    const create = azCall(run, 'deployment group create');
    const overrides = create.parameterFiles![1].content.parameters;
    assert.ok(!('smartHostPassword' in overrides), 'an empty password would not overwrite the secret anyway; none is sent');
    assert.ok(!('location' in overrides), "without --location the template uses the resource group's");
  });

  test('a redeploy keeps the relay secrets in Key Vault: none is sent, so none is overwritten', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], {
      behaviour: { previousVault: 'relaytest-kv-stub123', storedSecrets: ['unsubscribe-secret', 'acs-events-secret', 'sendgrid-api-key', 'acs-access-key'] },
    });
    assert.equal(run.status, 0, run.stderr);
    const checks = run.az.filter((c) => commandOf(c.args) === 'rest' && /\/secrets\//.test(argAfter(c.args, '--uri')));
    assert.deepEqual(
      checks.map((c) => argAfter(c.args, '--uri')),
      ['unsubscribe-secret', 'acs-events-secret', 'sendgrid-api-key', 'acs-access-key'].map(
        (name) =>
          `https://management.azure.com/subscriptions/00000000-0000-0000-0000-00000000beef/resourceGroups/rg-test/providers/Microsoft.KeyVault/vaults/relaytest-kv-stub123/secrets/${name}?api-version=2024-11-01`,
      ),
    );
    const overrides = azCall(run, 'deployment group create').parameterFiles![1].content.parameters;
    for (const name of ['unsubscribeSecret', 'acsEventsSecret', 'sendgridApiKey', 'acsAccessKey'])
      assert.ok(!(name in overrides), JSON.stringify(Object.keys(overrides)));
    assert.match(run.stderr, /SendGrid API key: keeping the one in Key Vault relaytest-kv-stub123/);
    assert.match(run.stderr, /ACS access key: keeping the one in Key Vault relaytest-kv-stub123/);
    assert.match(run.stderr, /unsubscribe secret: keeping the one in Key Vault relaytest-kv-stub123/);
    assert.match(run.stderr, /ACS events secret: keeping the one in Key Vault relaytest-kv-stub123/);
  });

  test('a redeploy of a deployment from before these secrets generates the missing one only', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], {
      behaviour: { previousVault: 'relaytest-kv-stub123', storedSecrets: ['acs-events-secret'] },
    });
    assert.equal(run.status, 0, run.stderr);
    const overrides = azCall(run, 'deployment group create').parameterFiles![1].content.parameters;
    assert.match(String(overrides.unsubscribeSecret?.value), /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!('acsEventsSecret' in overrides));
    assert.match(String(overrides.sendgridApiKey?.value), /^SG\./, 'a deployment from before the drop-ins gets their keys');
    assert.equal(Buffer.from(String(overrides.acsAccessKey?.value), 'base64').length, 32);
  });

  test('secrets given in the environment are stored (a rotation); a key under 32 characters is refused', needsBicep, async () => {
    const rotated = `${'n'.repeat(40)},${'o'.repeat(40)}`;
    const acsKey = Buffer.alloc(48, 7).toString('base64');
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], {
      password: secret,
      behaviour: { previousVault: 'relaytest-kv-stub123', storedSecrets: ['unsubscribe-secret', 'acs-events-secret'] },
      env: { RELAY_UNSUBSCRIBE_SECRET: rotated, RELAY_SENDGRID_API_KEY: `SG.${'k'.repeat(40)}`, RELAY_ACS_ACCESS_KEY: acsKey },
    });
    assert.equal(run.status, 0, run.stderr);
    const overrides = azCall(run, 'deployment group create').parameterFiles![1].content.parameters;
    assert.equal(overrides.unsubscribeSecret?.value, rotated);
    assert.equal(overrides.sendgridApiKey?.value, `SG.${'k'.repeat(40)}`);
    assert.equal(overrides.acsAccessKey?.value, acsKey);
    assert.ok(!run.npm.some((c) => c.sawSecret));
    assert.ok(!run.stderr.includes('nnnnnnnn') && !run.stderr.includes('kkkkkkkk') && !`${run.stdout}${run.stderr}`.includes(acsKey), 'never printed');

    const short = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, env: { RELAY_UNSUBSCRIBE_SECRET: `${'n'.repeat(40)},short` } });
    assert.equal(short.status, 1);
    assert.match(short.stderr, /unsubscribe secret: each key must be at least 32 characters long/);
    assert.ok(!azCommands(short).includes('deployment group create'));

    for (const [env, message] of [
      [{ RELAY_ACS_ACCESS_KEY: 'not base64 at all, but long enough to pass 32' }, /ACS access key: must be base64 of at least 32 bytes/],
      [{ RELAY_SENDGRID_API_KEY: 'SG.short' }, /SendGrid API key: each key must be at least 32 characters long/],
    ] as const) {
      const bad = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, env });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, message);
      assert.ok(!azCommands(bad).includes('deployment group create'));
    }
  });

  test('when Azure cannot say whether the secrets exist, nothing is deployed (a guess could overwrite them)', async () => {
    const show = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, behaviour: { showError: 'The request timed out.' } });
    assert.equal(show.status, 1);
    assert.match(show.stderr, /could not read the earlier deployment 'smtp-relay-relaytest'/);
    assert.ok(!azCommands(show).includes('deployment group create'));
    const check = await deploy(['-g', 'rg-test', '-p', goodParams], {
      password: secret,
      behaviour: { previousVault: 'relaytest-kv-stub123', secretCheckError: 'AuthorizationFailed: no access' },
    });
    assert.equal(check.status, 1);
    assert.match(check.stderr, /could not check whether Key Vault relaytest-kv-stub123 holds the secret unsubscribe-secret/);
    assert.ok(!azCommands(check).includes('deployment group create'));
    assert.deepEqual(check.npm, [], 'before anything is built');
  });

  test('refuses a parameters file that holds a relay secret', async () => {
    const file = writeParams(path.join(root, 'with-secret.parameters.json'), { ...filled, unsubscribeSecret: 'x'.repeat(40) });
    const run = await deploy(['-g', 'rg-test', '-p', file], { password: secret });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /remove unsubscribeSecret and acsEventsSecret from/);
    for (const name of ['sendgridApiKey', 'acsAccessKey']) {
      const withKey = writeParams(path.join(root, `with-${name}.parameters.json`), { ...filled, [name]: 'x'.repeat(44) });
      const refused = await deploy(['-g', 'rg-test', '-p', withKey], { password: secret });
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /remove sendgridApiKey and acsAccessKey from/);
    }
  });

  test('xoauth2 needs no password, and --no-operator-access grants nobody', needsBicep, async () => {
    const file = writeParams(path.join(root, 'oauth.parameters.json'), { ...filled, smartHostAuth: 'xoauth2', operatorPrincipalId: stubUserId });
    const run = await deploy(['-g', 'rg-test', '-p', file, '--no-operator-access'], { password: 'ignored-for-oauth' });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(!azCommands(run).includes('ad signed-in-user show'));
    const create = azCall(run, 'deployment group create');
    const overrides = create.parameterFiles![1].content.parameters;
    assert.ok(!('smartHostPassword' in overrides));
    assert.equal(overrides.operatorPrincipalId.value, '', '--no-operator-access wins over the file');
  });

  test('a service principal login gets no operator access by default', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, behaviour: { userType: 'servicePrincipal' } });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(!azCommands(run).includes('ad signed-in-user show'));
    assert.match(run.stderr, /not a user: no operator access granted/);
  });

  test('a relative --parameters path is taken from where npm run was started', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', 'good.parameters.json'], { password: secret, env: { INIT_CWD: root } });
    assert.equal(run.status, 0, run.stderr);
    const create = azCall(run, 'deployment group create');
    assert.equal(create.parameterFiles![0].path, goodParams);
  });

  test('settings the app would refuse stop the deploy before anything is created, naming setting and parameter', needsBicep, async () => {
    const file = writeParams(path.join(root, 'refused.parameters.json'), {
      ...filled,
      allowedSenderDomains: 'example.com;example.jp',
      smartHostPort: 25,
      retryFirstDelaySeconds: 600,
      retryMaxDelaySeconds: 60,
    });
    const run = await deploy(['-g', 'rg-test', '-p', file], { password: secret });
    assert.equal(run.status, 1, run.stderr);
    assert.match(
      run.stderr,
      /RELAY_ALLOWED_SENDER_DOMAINS has "example\.com;example\.jp", which is not a domain name.*\(template parameter allowedSenderDomains\)/,
    );
    assert.match(run.stderr, /SMARTHOST_PORT is 25: Azure blocks outbound port 25.*\(template parameter smartHostPort\)/);
    assert.match(run.stderr, /RELAY_RETRY_MAX_DELAY_SECONDS is smaller than RELAY_RETRY_FIRST_DELAY_SECONDS \(template parameter retryMaxDelaySeconds\)/);
    assert.match(run.stderr, /nothing was deployed/);
    assert.ok(!azCommands(run).includes('deployment group create'));
    assert.ok(!`${run.stdout}${run.stderr}`.includes('S3cret'), 'the password is never printed');
  });

  test('a value Bicep itself refuses is named by its parameter', needsBicep, async () => {
    const file = writeParams(path.join(root, 'few-instances.parameters.json'), { ...filled, maximumInstanceCount: 10 });
    const run = await deploy(['-g', 'rg-test', '-p', file], { password: secret });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /parameter maximumInstanceCount: Error/);
    assert.ok(!azCommands(run).includes('deployment group create'));
  });

  test('publishing refused while the new role assignments apply is retried with back-off', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, behaviour: { zipFailures: 2 } });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(azCommands(run).filter((c) => c === 'functionapp deployment source config-zip').length, 3);
    assert.match(run.stderr, /publishing was refused; the app identity's new role assignments are probably not applied yet/);
  });

  test('a publish refused on every try stops, saying why', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], {
      password: secret,
      behaviour: { zipFailures: 99, zipError: "Operation returned an invalid status 'Forbidden'" },
    });
    assert.equal(run.status, 1);
    assert.equal(azCommands(run).filter((c) => c === 'functionapp deployment source config-zip').length, 8);
    assert.match(run.stderr, /publishing was refused 8 times; the app identity's role assignments on storage may not have applied yet/);
    assert.ok(!azCommands(run).includes('functionapp function list'));
  });

  test('any other publish failure is not retried', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, behaviour: { zipFailures: 1, zipError: 'The zip file is corrupt' } });
    assert.equal(run.status, 1);
    assert.equal(azCommands(run).filter((c) => c === 'functionapp deployment source config-zip').length, 1);
    assert.match(run.stderr, /publishing the package failed/);
  });

  test('an "unhealthy" verdict from the CLI is checked against the app itself, which waits for its functions', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, behaviour: { zipUnhealthy: true, functionsAfter: 3 } });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(azCommands(run).filter((c) => c === 'functionapp deployment source config-zip').length, 1, 'not published again');
    assert.match(run.stderr, /the Azure CLI's health poll gave up on the app; checking the app itself instead/);
    assert.equal(azCommands(run).filter((c) => c === 'functionapp function list').length, 4);
  });

  test('a function that never shows up fails the deploy, naming it', needsBicep, async () => {
    // Every built function but the two queue-triggered ones shows up.
    const shown = readdirSync(path.join(repoRoot, 'dist', 'functions'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.slice(0, -3))
      .filter((name) => name !== 'recordPoisonDelivery' && name !== 'relayDelivery');
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, behaviour: { functions: shown } });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /the app does not list these functions: recordPoisonDelivery relayDelivery \(/);
    assert.equal(azCommands(run).filter((c) => c === 'functionapp function list').length, 8);
  });

  test('every az call has a time limit: a call that never returns is ended and named', async () => {
    const started = Date.now();
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], {
      password: secret,
      behaviour: { hang: 'group exists' },
      env: { DEPLOY_AZ_TIMEOUT_SECONDS: '2' },
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /az group exists did not finish within 2s/);
    assert.ok(Date.now() - started < 60_000, 'the hung call did not hold the deploy');
  });

  test('a publish whose CLI poll never returns goes on to check the app', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], {
      password: secret,
      behaviour: { hang: 'functionapp deployment source config-zip' },
      env: { DEPLOY_AZ_TIMEOUT_SECONDS: '3' },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /did not finish within 3s/);
    assert.match(run.stderr, /checking the app itself instead/);
    assert.ok(azCommands(run).includes('functionapp function list'));
  });

  test('Key Vault references are refreshed until they resolve', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], {
      password: secret,
      behaviour: { kvStatuses: ['AccessToKeyVaultDenied', 'AccessToKeyVaultDenied', 'Resolved'] },
    });
    assert.equal(run.status, 0, run.stderr);
    const rest = run.az.filter((c) => commandOf(c.args) === 'rest').map((c) => argAfter(c.args, '--method'));
    assert.deepEqual(rest, ['post', 'get', 'post', 'get', 'post', 'get'], 'a refresh before each look');
    assert.match(run.stderr, /every Key Vault reference is resolved/);
    assert.doesNotMatch(run.stderr, /WARNING/);
  });

  test('a Key Vault reference that never resolves is a warning naming it and its status', needsBicep, async () => {
    const run = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret, behaviour: { kvStatuses: ['AccessToKeyVaultDenied'] } });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /WARNING: Key Vault references not resolved: SMARTHOST_PASSWORD: AccessToKeyVaultDenied \(Access to the key vault was denied\.\)/);
    assert.match(run.stderr, /every delivery is deferred/);
  });

  // The settings the delivery policy names for secrets (here DKIM keys): read from the policy, each
  // value from --secret NAME=@FILE or the environment, judged by the app's own loader before deploying.
  const dkimParams = () =>
    writeParams(path.join(root, 'dkim.parameters.json'), {
      ...filled,
      policyJson: JSON.stringify({
        dkim: {
          'example.com': { selector: 'relay2026', privateKeySetting: 'DKIM_EXAMPLE_COM_KEY' },
          'example.jp': { selector: 'relay2026', privateKeySetting: 'DKIM_EXAMPLE_JP_KEY' },
        },
      }),
    });
  const pemOf = (type: 'rsa' | 'ed25519', bits?: number) =>
    generateKeyPairSync(type as 'rsa', { modulusLength: bits ?? 2048 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();

  test('the secrets the policy names are stored: one from --secret NAME=@FILE, one from the environment', needsBicep, async () => {
    const comKey = pemOf('rsa');
    const jpKey = pemOf('ed25519');
    const keyFile = path.join(root, 'example-com.pem');
    writeFileSync(keyFile, comKey);
    const run = await deploy(['-g', 'rg-test', '-p', dkimParams(), '--secret', `DKIM_EXAMPLE_COM_KEY=@${keyFile}`], {
      password: secret,
      env: { DKIM_EXAMPLE_JP_KEY: jpKey },
    });
    assert.equal(run.status, 0, run.stderr);
    const overrides = azCall(run, 'deployment group create').parameterFiles![1];
    assert.equal(overrides.mode, 0o600, 'only the deploying user can read the values');
    assert.deepEqual(overrides.content.parameters.policySecretSettings?.value, ['DKIM_EXAMPLE_COM_KEY', 'DKIM_EXAMPLE_JP_KEY']);
    assert.deepEqual(overrides.content.parameters.policySecretValues?.value, { DKIM_EXAMPLE_COM_KEY: comKey, DKIM_EXAMPLE_JP_KEY: jpKey });
    assert.match(run.stderr, /DKIM_EXAMPLE_COM_KEY: storing the value given in Key Vault as policy-dkim-example-com-key/);
    assert.match(run.stderr, /DKIM_EXAMPLE_JP_KEY: storing the value given in Key Vault as policy-dkim-example-jp-key/);
    assert.ok(!`${run.stdout}${run.stderr}`.includes('PRIVATE KEY'), 'no key is printed');
    assert.ok(!run.npm.some((c) => c.sawSecret), 'npm never sees a key in its environment');
  });

  test('a redeploy keeps the stored policy secrets; a first one without a value, or a weak key, deploys nothing', needsBicep, async () => {
    const kept = await deploy(['-g', 'rg-test', '-p', dkimParams()], {
      behaviour: { previousVault: 'relaytest-kv-stub123', storedSecrets: ['policy-dkim-example-com-key', 'policy-dkim-example-jp-key'] },
    });
    assert.equal(kept.status, 0, kept.stderr);
    const overrides = azCall(kept, 'deployment group create').parameterFiles![1].content.parameters;
    assert.deepEqual(overrides.policySecretSettings?.value, ['DKIM_EXAMPLE_COM_KEY', 'DKIM_EXAMPLE_JP_KEY'], 'the references stay');
    assert.ok(!('policySecretValues' in overrides), 'no value sent, so none is overwritten');
    assert.match(kept.stderr, /DKIM_EXAMPLE_JP_KEY: none given, keeping the one in Key Vault relaytest-kv-stub123/);

    const first = await deploy(['-g', 'rg-test', '-p', dkimParams()], { password: secret, env: { DKIM_EXAMPLE_JP_KEY: pemOf('ed25519') } });
    assert.equal(first.status, 1);
    assert.match(
      first.stderr,
      /DKIM_EXAMPLE_COM_KEY, which the delivery policy names, has no value and Key Vault holds none: give it with --secret DKIM_EXAMPLE_COM_KEY=@FILE/,
    );
    assert.ok(!azCommands(first).includes('deployment group create'));
    assert.deepEqual(first.npm, [], 'it stops before building');

    const weakFile = path.join(root, 'weak.pem');
    writeFileSync(weakFile, pemOf('rsa', 1024));
    const weak = await deploy(['-g', 'rg-test', '-p', dkimParams(), '--secret', `DKIM_EXAMPLE_COM_KEY=@${weakFile}`], {
      password: secret,
      env: { DKIM_EXAMPLE_JP_KEY: pemOf('ed25519') },
    });
    assert.equal(weak.status, 1);
    assert.match(weak.stderr, /DKIM key of example\.com \(selector relay2026\): DKIM_EXAMPLE_COM_KEY holds a 1024-bit RSA key/);
    assert.match(weak.stderr, /nothing was deployed/);
    assert.ok(!azCommands(weak).includes('deployment group create'));
  });

  test('--secret takes a file only, for a setting the policy names; a parameters file holds no policy secret', async () => {
    const inline = await deploy(['-g', 'rg-test', '-p', dkimParams(), '--secret', 'DKIM_EXAMPLE_COM_KEY=-----BEGIN']);
    assert.equal(inline.status, 2);
    assert.match(inline.stderr, /--secret takes NAME=@FILE \(the value read from a file: on the command line it would land in shell history\)/);
    assert.deepEqual(inline.az, []);
    const unknown = await deploy(['-g', 'rg-test', '-p', dkimParams(), '--secret', 'DKIM_OTHER_KEY=@/dev/null'], { password: secret });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /--secret DKIM_OTHER_KEY: the delivery policy names no such setting \(it names: DKIM_EXAMPLE_COM_KEY DKIM_EXAMPLE_JP_KEY\)/);
    const inFile = writeParams(path.join(root, 'policy-values.parameters.json'), { ...filled, policySecretValues: { DKIM_EXAMPLE_COM_KEY: 'x' } });
    const refused = await deploy(['-g', 'rg-test', '-p', inFile], { password: secret });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /remove policySecretValues from .*: a secret does not belong in a file/);
  });

  test('an app that answers a request without a key with anything but 401 fails the deploy', needsBicep, async () => {
    appAnswer = 'open';
    try {
      const run = await deploy(['-g', 'rg-test', '-p', goodParams], { password: secret });
      assert.equal(run.status, 1);
      assert.ok(run.stderr.includes(`${sendUrl} answered 202 to a request without a function key instead of 401`), run.stderr);
    } finally {
      appAnswer = 'key required';
    }
  });
});
