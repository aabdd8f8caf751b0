#!/usr/bin/env node
// `npx relay …`: the operators' CLI (docs/cli.md). The commands are src/cli, built into dist/ by
// `npm run build`; this launcher hands them the command line and the environment (RELAY_URL,
// RELAY_ADMIN_KEY: the CLI's own options, not the app's settings).
'use strict';
let cli;
try {
  cli = require('../dist/src/cli/main.js');
} catch {
  process.stderr.write('relay: the CLI is not built yet: run `npm run build` first\n');
  process.exit(1);
}
cli
  .runCli(process.argv.slice(2), process.env, {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    tty: process.stderr.isTTY === true,
  })
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`relay: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
