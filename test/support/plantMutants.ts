// Plants, one at a time, the regressions test/MUTANTS.md lists, and checks that the test written for
// each one then FAILS. Each is a literal text edit of the compiled code in a fresh copy of dist/, so the
// worktree is never changed. Build first, then:
//   node dist/test/support/plantMutants.js          (all of them)
//   node dist/test/support/plantMutants.js M3 M7    (some)
// "caught": the test failed with the regression in place, as it must. "MISSED": it still passed.
// Compiled code moves with the sources: an edit that no longer applies is reported, never counted.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Mutant {
  id: string;
  regression: string;
  /** under dist/ */
  file: string;
  find: string;
  replace: string;
  /** under dist/test/, and the name pattern of the test that must catch it */
  test: string;
  name: string;
}

const mutants: Mutant[] = [
  {
    id: 'M1',
    regression: 'a storage outage logged as an error',
    file: 'src/http/problemResponse.js',
    find: 'context.warn(',
    replace: "context.error('planted: an outage logged as an error'), context.warn(",
    test: 'functions/sendMessage.test.js',
    name: 'storage down',
  },
  {
    id: 'M2',
    regression: 'the function key in the Executed line',
    file: 'src/local/httpTrigger.js',
    find: 'Executed (Succeeded, Status=${statusCode}',
    replace: "Executed (Succeeded, Status=${statusCode}, Key=${req.headers['x-functions-key'] ?? url.searchParams.get('code')}",
    test: 'local/functionHost.test.js',
    name: 'requires the function key',
  },
  {
    id: 'M3',
    regression: 'the request body logged',
    file: 'functions/sendMessage.js',
    find: 'const body = Buffer.from(await request.arrayBuffer());',
    replace: "const body = Buffer.from(await request.arrayBuffer()); context.log(`body: ${body.toString('utf8').slice(0, 200)}`);",
    test: 'faults/badInput.test.js',
    name: 'strict JSON',
  },
  {
    id: 'M4',
    regression: 'a refusal logged as a warning',
    file: 'src/http/problemResponse.js',
    find: 'context.log(`refused',
    replace: 'context.warn(`refused',
    test: 'faults/badInput.test.js',
    name: 'the corpus',
  },
  {
    id: 'M5',
    regression: 'the SMTP password logged',
    file: 'src/relay/steps/claim.js',
    find: 'state.log.log(`${state.label}: sending, attempt',
    replace: 'state.log.log(`${state.label}: as ${process.env.SMARTHOST_PASSWORD}`); state.log.log(`${state.label}: sending, attempt',
    test: 'functions/relayDelivery.test.js',
    name: 'logs carry',
  },
  {
    id: 'M6',
    regression: 'the message body logged',
    file: 'src/relay/steps/send.js',
    find: 'state.outcome = raw ?',
    replace: "state.log.log(`${state.label}: body ${raw?.toString('utf8')}`); state.outcome = raw ?",
    test: 'functions/relayDelivery.test.js',
    name: 'logs carry',
  },
  {
    id: 'M7',
    regression: 'the XOAUTH2 token logged',
    file: 'src/smtp/smartHost.js',
    find: '(token) => (token ?',
    replace: '(token) => (console.log(`token ${token?.token}`), token ?',
    test: 'functions/relayDeliveryXoauth2.test.js',
    name: 'XOAUTH2',
  },
  {
    id: 'M8',
    regression: "an outcome's event written twice",
    file: 'src/relay/steps/recordEvent.js',
    find: '        await deps.events.record([row], at);',
    // A second row a millisecond later: an event's key holds its time, so the same one twice is one row.
    replace: '        await deps.events.record([row], at);\n        await deps.events.record([row], new Date(at.getTime() + 1));',
    test: 'functions/relayDelivery.test.js',
    name: 'travels in its task',
  },
  {
    id: 'M9',
    regression: 'no event for a recipient failed from the poison queue',
    file: 'src/relay/recordPoison.js',
    find: 'await (0, deliverTask_1.recordEvent)(deps, failed, now, log, label);',
    replace: '',
    test: 'functions/recordPoisonDelivery.test.js',
    name: 'marked failed with the reason',
  },
  {
    id: 'M10',
    regression: 'no "attempt already made" check',
    file: 'src/core/delivery.js',
    find: 'if (task.attempt !== undefined && row.attempts >= task.attempt && !ownClaim)',
    replace: 'if (false)',
    test: 'functions/relayDelivery.test.js',
    name: 'attempt already made',
  },
  {
    id: 'M11',
    regression: 'a default changed in the settings catalogue',
    file: 'src/config.js',
    find: "name: 'SMARTHOST_POOL_SIZE',\n        scope: 'app',\n        type: { kind: 'int', min: 1, max: 100 },\n        default: '5',",
    replace: "name: 'SMARTHOST_POOL_SIZE',\n        scope: 'app',\n        type: { kind: 'int', min: 1, max: 100 },\n        default: '6',",
    test: 'local/settings.test.js',
    name: 'without local.settings.json',
  },
  {
    id: 'M12',
    regression: 'no ::1 in the development certificate',
    file: 'src/local/devCertificate.js',
    find: "const SERVER_IPS = ['127.0.0.1', '::1'];",
    replace: "const SERVER_IPS = ['127.0.0.1'];",
    test: 'local/devCertificate.test.js',
    name: 'verifies for ::1',
  },
  {
    id: 'M13',
    regression: 'an IPv6 identity check that accepts any address',
    file: 'src/local/devCertificate.js',
    find: 'return ips.some((ip) => canonicalIPv6(ip) === wanted) ? undefined : nodeVerdict;',
    replace: 'return undefined;',
    test: 'local/devCertificate.test.js',
    name: 'IPv6 hosts against the IP SANs',
  },
  {
    id: 'M14',
    regression: 'the development smart host logs a refused password',
    file: 'src/local/devSmartHost.js',
    find: "authentication failed for ${auth.username ?? '(none)'}",
    replace: "authentication failed for ${auth.username ?? '(none)'}:${auth.password}",
    test: 'local/devSmartHost.test.js',
    name: 'logs neither passwords',
  },
  {
    id: 'M15',
    regression: "one of hostCrash's two loops fails (the other must stop, and no host start after teardown)",
    file: 'test/faults/hostCrash.test.js',
    // Outside the loop's try, which takes other errors for a request that died with the host.
    find: '            signal.throwIfAborted();\n            const due',
    replace:
      "            signal.throwIfAborted();\n            if (accepted.length >= 30) throw new Error('planted: the send loop fails');\n            const due",
    test: 'faults/hostCrash.test.js',
    name: 'host killed three times',
  },
  {
    id: 'M16',
    regression: "npm start's test fails half way (Azurite on 10000-10002 and the host must still end with it)",
    file: 'test/local/start.test.js',
    find: "const key = /x-functions-key: ([^']+)'/.exec(output)[1];",
    replace: "throw new Error('planted: a failure while npm start runs');",
    test: 'local/start.test.js',
    name: 'npm start relays',
  },
];

/** Whether something listens on the loopback port. */
function portTaken(port: number): boolean {
  return (
    spawnSync(process.execPath, ['-e', `require('net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`])
      .status === 0
  );
}

const root = path.resolve(__dirname, '..', '..', '..');
const wanted = process.argv.slice(2);
let missed = 0;
for (const mutant of mutants.filter((m) => wanted.length === 0 || wanted.includes(m.id))) {
  const app = mkdtempSync(path.join(os.tmpdir(), 'relay-mutant-'));
  try {
    cpSync(path.join(root, 'dist'), path.join(app, 'dist'), { recursive: true });
    for (const file of ['package.json', 'host.json', 'README.md']) cpSync(path.join(root, file), path.join(app, file));
    for (const dir of ['node_modules', 'infra']) symlinkSync(path.join(root, dir), path.join(app, dir), 'dir');
    const target = path.join(app, 'dist', mutant.file);
    const code = readFileSync(target, 'utf8');
    if (!code.includes(mutant.find)) {
      console.log(`${mutant.id} not planted: dist/${mutant.file} no longer has ${JSON.stringify(mutant.find)} (${mutant.regression})`);
      missed++;
      continue;
    }
    writeFileSync(target, code.replace(mutant.find, mutant.replace));
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--test', `--test-name-pattern=${mutant.name}`, path.join('dist', 'test', mutant.test)], {
      cwd: app,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const output = `${run.stdout}${run.stderr}`;
    const seconds = Math.round((Date.now() - started) / 1000);
    const leftBehind = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((line) => line.includes(app));
    // start.test runs Azurite on the fixed ports (a neighbour running it too would show here as well)
    if (mutant.id === 'M16') leftBehind.push(...[10000, 10001, 10002].filter(portTaken).map((port) => `a process on Azurite's port ${port}`));
    if (leftBehind.length > 0) {
      console.log(`${mutant.id}: the failing test left processes behind:\n  ${leftBehind.join('\n  ')}`);
      missed++;
    }
    const ran = /^# pass (\d+)/m.exec(output)?.[1];
    const failed = /^# fail (\d+)/m.exec(output)?.[1];
    if (run.status === 0 || failed === '0') {
      console.log(`${mutant.id} MISSED (${seconds} s): with ${mutant.regression}, dist/test/${mutant.test} "${mutant.name}" still passes (${ran} passed)`);
      missed++;
    } else {
      const reason = /^\s+error: (.*)$/m.exec(output)?.[1]?.slice(0, 120) ?? '(see the test output)';
      console.log(`${mutant.id} caught (${seconds} s): ${mutant.regression} -> dist/test/${mutant.test} "${mutant.name}" failed: ${reason}`);
    }
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}
process.exitCode = missed === 0 ? 0 : 1;
