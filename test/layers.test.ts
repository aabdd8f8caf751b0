// The layers, as import rules (like "only config reads process.env" in test/infra/settings.test.ts):
//   src/core     pure rules and formats: no I/O, no SDK, no transport; imports only itself and src/errors
//   src/relay    the use-cases: reach the outside world only through ./ports (no src/storage, src/smtp, SDKs)
//   functions/   wiring only: @azure/functions, src/runtime (the composition root), the use-cases in
//                src/relay, the HTTP mapping in src/http, and the task format they parse (src/core/deliveryTask)
//   src/local    the local host: nothing else under src/ or functions/ imports it
//   src/cli      the operators' CLI: the HTTP API only, none of the app
//   src/doctor   the sender-authentication doctor: DNS, the pure rules and the policy reader, none of the
//                use-cases or adapters (it sends nothing and touches no storage)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, sourceFiles } from './support/sourceFiles';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

// import ... from 'x', import 'x', export ... from 'x', import('x'), require('x')
const IMPORT = /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The modules a file imports: package names as written, project files as repository paths without extension. */
function importsOf(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  return specifiers.map((s) => (s.startsWith('.') ? path.posix.join(path.posix.dirname(file), s) : s));
}

function violations(dir: string, allowed: (imported: string, file: string) => boolean): string[] {
  const files = sourceFiles(dir);
  assert.ok(files.length > 0, `the scan sees ${dir}`);
  const found: string[] = [];
  for (const file of files) {
    for (const imported of importsOf(file, readFileSync(path.join(repoRoot, file), 'utf8'))) {
      if (!allowed(imported, file)) found.push(`${file} imports ${imported}`);
    }
  }
  return found;
}

const IO_MODULES = new Set([
  'fs',
  'fs/promises',
  'net',
  'tls',
  'http',
  'https',
  'http2',
  'dns',
  'dns/promises',
  'dgram',
  'child_process',
  'cluster',
  'worker_threads',
  'readline',
  'inspector',
]);
// Composing a message is pure; nodemailer's transports are not.
const PURE_NODEMAILER = new Set(['nodemailer/lib/mail-composer', 'nodemailer/lib/addressparser']);

function isProjectPath(imported: string): boolean {
  return /^(src|functions|test|bench)\//.test(imported);
}

function coreMayImport(imported: string): boolean {
  if (isProjectPath(imported)) return imported.startsWith('src/core/') || imported === 'src/errors';
  const builtin = imported.replace(/^node:/, '');
  if (IO_MODULES.has(builtin)) return false;
  if (imported.startsWith('@azure/')) return false;
  if (imported === 'nodemailer' || imported.startsWith('nodemailer/')) return PURE_NODEMAILER.has(imported);
  return true;
}

test('src/core imports no I/O, no Azure SDK and no mail transport', FILE_TIMEOUT, () => {
  assert.deepEqual(violations('src/core', coreMayImport), []);
});

test('the use-cases in src/relay reach storage and SMTP only through their ports', FILE_TIMEOUT, () => {
  const adapter = (imported: string) =>
    imported.startsWith('src/storage/') ||
    imported.startsWith('src/smtp/') ||
    imported.startsWith('src/local/') ||
    imported === 'src/runtime' ||
    imported.startsWith('@azure/') ||
    imported.startsWith('nodemailer') ||
    IO_MODULES.has(imported.replace(/^node:/, ''));
  assert.deepEqual(
    violations('src/relay', (imported) => !adapter(imported)),
    [],
  );
});

const FUNCTION_WIRING = [/^@azure\/functions$/, /^src\/runtime$/, /^src\/relay\/[^/]+$/, /^src\/http\/[^/]+$/, /^src\/core\/deliveryTask$/];

test('functions/ import only what wires a function to its use-case', FILE_TIMEOUT, () => {
  assert.deepEqual(
    violations('functions', (imported) => FUNCTION_WIRING.some((rule) => rule.test(imported))),
    [],
  );
});

test('nothing under src/ but the local host imports src/local', FILE_TIMEOUT, () => {
  const found = [
    ...violations('src', (imported, file) => file.startsWith('src/local/') || !imported.startsWith('src/local')),
    ...violations('functions', (imported) => !imported.startsWith('src/local')),
  ];
  assert.deepEqual(found, []);
});

test('the CLI in src/cli talks to the relay only over its HTTP API: it imports none of the app', FILE_TIMEOUT, () => {
  // It runs on an operator's machine against any deployment, so it must not need the app's settings or storage.
  assert.deepEqual(
    violations('src/cli', (imported) => !isProjectPath(imported) || imported.startsWith('src/cli/')),
    [],
  );
});

function doctorMayImport(imported: string): boolean {
  return (
    !isProjectPath(imported) ||
    imported.startsWith('src/doctor/') ||
    imported.startsWith('src/core/') ||
    imported === 'src/policyFile' ||
    imported === 'src/errors'
  );
}

test('the doctor in src/doctor reads DNS and the policy, and none of the use-cases or adapters', FILE_TIMEOUT, () => {
  assert.deepEqual(violations('src/doctor', doctorMayImport), []);
  for (const adapter of ['src/relay/ports', 'src/storage/clients', 'src/smtp/smartHost', 'src/runtime', 'functions/sendMessage', 'src/local/settings']) {
    assert.equal(doctorMayImport(adapter), false, adapter);
  }
});

test('the import scan recognises the ways code imports a module', FILE_TIMEOUT, () => {
  const sample = [
    "import { a } from './x';",
    "import type { B } from '../core/y';",
    "import * as z from 'node:tls';",
    "import 'side-effect';",
    "export { c } from './w';",
    "const d = require('nodemailer');",
    "const e = await import('@azure/storage-queue');",
    'import {\n  f,\n  g,\n} from "./multi";',
  ].join('\n');
  assert.deepEqual(importsOf('src/relay/file.ts', sample), [
    'src/relay/x',
    'src/core/y',
    'node:tls',
    'side-effect',
    'src/relay/w',
    'nodemailer',
    '@azure/storage-queue',
    'src/relay/multi',
  ]);
  assert.equal(coreMayImport('node:net'), false);
  assert.equal(coreMayImport('fs'), false);
  assert.equal(coreMayImport('nodemailer'), false);
  assert.equal(coreMayImport('nodemailer/lib/smtp-pool'), false);
  assert.equal(coreMayImport('nodemailer/lib/mail-composer'), true);
  assert.equal(coreMayImport('src/storage/deliveryStore'), false);
  assert.equal(coreMayImport('node:crypto'), true);
});
