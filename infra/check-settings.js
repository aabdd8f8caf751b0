#!/usr/bin/env node
// Checks, before anything is deployed, that the app settings infra/main.bicep would give the app
// pass the app's own loadConfig (src/config.ts): Bicep accepts values the app refuses at start-up
// (port 25, a max retry delay below the first delay, a malformed domain list), and such a deployment
// succeeds while no function loads. The template is evaluated with `bicep snapshot` (infra/bicep.sh)
// for the merged parameter files, so the settings are exactly the template's; only values Azure
// assigns at deployment time (endpoints, the identity's client id, the Key Vault secret) are
// stood in for. The secrets the delivery policy names (a DKIM key) are judged as given, since the
// app checks them at start-up too; one kept in Key Vault passed when it was given.
//
// Usage: node infra/check-settings.js --config DIST/src/config.js --subscription-id ID --tenant-id ID
//          --resource-group NAME [--location REGION] [--compiled main.json] [--policy-file FILE] PARAMETERS.json...
// --policy-file: the relay-policy.json the package ships, judged when the template sets no policy.
// Exits 0 when loadConfig accepts the settings, 1 naming each problem (and the template parameter
// behind the setting), 2 on bad usage or when the template cannot be evaluated.
'use strict';
const { execFileSync } = require('node:child_process');
const { generateKeyPairSync } = require('node:crypto');
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const here = __dirname;
const template = path.join(here, 'main.bicep');

function usage(message) {
  process.stderr.write(`check-settings: ${message}\n`);
  process.exit(2);
}

const options = {};
const parameterFiles = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg.startsWith('--')) {
    if (i + 1 >= argv.length) usage(`${arg} needs a value`);
    options[arg.slice(2)] = argv[++i];
  } else parameterFiles.push(arg);
}
for (const required of ['config', 'subscription-id', 'tenant-id', 'resource-group']) {
  if (!options[required]) usage(`--${required} is required`);
}

// Later files win, as with repeated `az deployment group create --parameters @file`.
const values = {};
let policySecretValues = {};
for (const file of parameterFiles) {
  const parameters = JSON.parse(readFileSync(file, 'utf8')).parameters ?? {};
  for (const [name, entry] of Object.entries(parameters)) {
    if (!entry || typeof entry !== 'object' || !('value' in entry)) continue;
    // The secrets are not needed to evaluate the settings (the app gets Key Vault references).
    if (name === 'smartHostPassword') continue;
    if (name === 'policySecretValues') policySecretValues = { ...policySecretValues, ...entry.value };
    else values[name] = entry.value;
  }
}
// A kept secret: any text passes for a password, and a DKIM key must be a key.
const keptPolicySecret = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

function bicepLiteral(value, indent = '') {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + bicepLiteral(v, inner)).join('\n')}\n${indent}]`;
  const entries = Object.entries(value).map(([k, v]) => `${inner}${bicepLiteral(k)}: ${bicepLiteral(v, inner)}`);
  return `{\n${entries.join('\n')}\n${indent}}`;
}

function bicep(args) {
  return execFileSync('bash', [path.join(here, 'bicep.sh'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

const dir = mkdtempSync(path.join(tmpdir(), 'relay-check-'));
let snapshot;
let compiled;
let lines = [];
try {
  const paramFile = path.join(dir, 'check.bicepparam');
  const using = path.relative(dir, template).split(path.sep).join('/');
  lines = [`using '${using}'`, ...Object.entries(values).map(([k, v]) => `param ${k} = ${bicepLiteral(v)}`)];
  writeFileSync(paramFile, `${lines.join('\n')}\n`);
  try {
    bicep([
      'snapshot',
      paramFile,
      '--subscription-id',
      options['subscription-id'],
      '--tenant-id',
      options['tenant-id'],
      '--resource-group',
      options['resource-group'],
      '--location',
      options.location || 'westeurope',
    ]);
    compiled = JSON.parse(options.compiled ? readFileSync(options.compiled, 'utf8') : bicep(['build', template, '--stdout']));
  } catch (error) {
    // Bicep names a line of the generated file; name the parameter on that line instead.
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.replace(/^.*check\.bicepparam\((\d+),\d+\) : /gm, (whole, line) => {
      const parameter = /^param (\S+)/.exec(lines[Number(line) - 1] ?? '')?.[1];
      return parameter ? `parameter ${parameter}: ` : whole;
    });
    process.stderr.write(output);
    process.stderr.write('check-settings: the template could not be evaluated for these parameters (see above)\n');
    process.exit(2);
  }
  snapshot = JSON.parse(readFileSync(path.join(dir, 'check.snapshot.json'), 'utf8'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const config = snapshot.predictedResources.find((r) => /^Microsoft\.Web\/sites\/config$/i.test(r.type) && r.name.endsWith('/appsettings'));
if (!config) usage('the template has no appsettings resource');

// What Azure fills in at deployment time, in the shape Azure gives it.
const env = {};
for (const [name, value] of Object.entries(config.properties)) {
  const endpoint = /\.primaryEndpoints\.(blob|queue|table)\]$/.exec(value);
  if (endpoint) env[name] = `https://account.${endpoint[1]}.core.windows.net/`;
  else if (/\.clientId\]$/.test(value)) env[name] = '00000000-0000-4000-8000-000000000000';
  else if (/\.defaultHostName\)\]$/.test(value)) env[name] = 'https://app.azurewebsites.net';
  else if (/SecretName=policy-/.test(value)) env[name] = policySecretValues[name] || keptPolicySecret;
  // deploy.sh checks the secrets it passes (at least 32 characters) before this runs
  else if (value.startsWith('@Microsoft.KeyVault(')) env[name] = 'the secret from Key Vault as resolved at start-up';
  else env[name] = value;
}

// Which template parameter feeds each setting, read from the compiled createObject('NAME', value, ...).
const sources = {};
const appSettingsResource = Object.values(compiled.resources).find((r) => /sites\/config$/i.test(r.type));
for (const match of JSON.stringify(appSettingsResource?.properties ?? '').matchAll(
  /'([A-Za-z_][A-Za-z0-9_]*)', (?:string\()?parameters\('([A-Za-z0-9_]+)'\)/g,
)) {
  sources[match[1]] = match[2];
}

if (options['policy-file'] && !env.RELAY_POLICY_JSON && !env.RELAY_POLICY_FILE) env.RELAY_POLICY_FILE = path.resolve(options['policy-file']);

const { loadConfig, ConfigError } = require(path.resolve(options.config));
try {
  loadConfig(env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  const explained = error.problems.map((problem) => {
    const setting = /^[A-Za-z_][A-Za-z0-9_]*/.exec(problem)?.[0];
    return sources[setting] ? `${problem} (template parameter ${sources[setting]})` : problem;
  });
  process.stderr.write(`check-settings: the app would refuse these settings at start-up:\n  - ${explained.join('\n  - ')}\n`);
  process.exit(1);
}
