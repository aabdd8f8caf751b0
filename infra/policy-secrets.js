#!/usr/bin/env node
// Lists the app settings the delivery policy names for its secrets -- each smart host's
// passwordSetting and each DKIM domain's privateKeySetting -- one per line, for deploy.sh to give
// each a Key Vault secret and a reference. The policy is the one the app will run on in Azure:
// the policyJson template parameter when it is set, else relay-policy.json at the project root
// (package.sh ships that file). The relay checks the policy itself at start-up (and check-settings.js
// before the deploy); this only reads the names, and refuses what Azure could not hold.
//
// Usage: node infra/policy-secrets.js PROJECT_ROOT PARAMETERS.json...
// Exits 0 printing the names (none: nothing), 1 naming the problem, 2 on bad usage.
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,119}$/;

function fail(message) {
  process.stderr.write(`deploy: error: ${message}\n`);
  process.exit(1);
}

const [root, ...parameterFiles] = process.argv.slice(2);
if (!root || parameterFiles.length === 0) {
  process.stderr.write('usage: node infra/policy-secrets.js PROJECT_ROOT PARAMETERS.json...\n');
  process.exit(2);
}

// Later files win, as with repeated `az deployment group create --parameters @file`.
let policyJson = '';
for (const file of parameterFiles) {
  const value = JSON.parse(readFileSync(file, 'utf8')).parameters?.policyJson?.value;
  if (typeof value === 'string') policyJson = value;
}
const policyFile = path.join(root, 'relay-policy.json');
let source;
let text;
if (policyJson.trim()) [source, text] = ['the policyJson parameter', policyJson];
else if (existsSync(policyFile)) [source, text] = ['relay-policy.json', readFileSync(policyFile, 'utf8')];
else process.exit(0);

let policy;
try {
  policy = JSON.parse(text.replace(/^\uFEFF/, ''));
} catch (error) {
  fail(`${source} is not JSON (${error.message}); fix it before deploying`);
}

const named = []; // [setting, where]
const entries = (value) => (value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : []);
for (const [host, entry] of entries(policy.smartHosts)) {
  if (typeof entry?.passwordSetting === 'string') named.push([entry.passwordSetting, `smartHosts.${host}.passwordSetting`]);
}
for (const [domain, entry] of entries(policy.dkim)) {
  if (typeof entry?.privateKeySetting === 'string') named.push([entry.privateKeySetting, `dkim.${domain}.privateKeySetting`]);
}

const byLowerCase = new Map();
for (const [setting, where] of named) {
  // Key Vault secret names are at most 127 characters; the secret is "policy-" and the name.
  if (!NAME.test(setting)) fail(`${source}: ${where} is "${setting}": a setting name is letters, digits and "_", not starting with a digit, at most 120`);
  const first = byLowerCase.get(setting.toLowerCase());
  // Azure's app setting names are not case-sensitive: two spellings would be one setting.
  if (first && first.setting !== setting)
    fail(
      `${source}: ${where} is "${setting}" and ${first.where} is "${first.setting}": Azure app setting names are not case-sensitive, so give them one spelling`,
    );
  if (!first) byLowerCase.set(setting.toLowerCase(), { setting, where });
}
for (const { setting } of byLowerCase.values()) process.stdout.write(`${setting}\n`);
