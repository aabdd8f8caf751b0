#!/usr/bin/env node
// `npm run doctor -- --domain example.jp`: the sender-authentication doctor (docs/doctor.md), built
// into dist/ by `npm run build`. It reads the settings as `npm start` does: the environment over
// local.settings.json's Values, so the DKIM key's setting is found where the local host finds it.
'use strict';
const path = require('node:path');
let doctor;
let settings;
try {
  doctor = require('../dist/src/doctor/main.js');
  settings = require('../dist/src/local/settings.js');
} catch {
  process.stderr.write('doctor: it is not built yet: run `npm run build` first\n');
  process.exit(2);
}
let env;
try {
  env = settings.loadLocalSettings(path.resolve(__dirname, '..'), process.env);
} catch (err) {
  process.stderr.write(`doctor: ${err.message}\n`);
  process.exit(2);
}
doctor
  .runDoctor(process.argv.slice(2), env, {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  })
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`doctor: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
