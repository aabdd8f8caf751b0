// `npm start` as a newcomer runs it: embedded defaults, Azurite on its usual ports, the development
// smart host; a message posted with the printed curl command ends `sent`, its .eml is written, and
// SIGTERM stops everything cleanly. It runs a copy of the built app in a folder of its own, so that the
// repository's local.settings.json (a developer's real storage or smart host) is never read, and in a
// process group of its own, so that a failure ends Azurite and the host with it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../support/relayHarness';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'relay-start-'));
const appDir = mkdtempSync(path.join(os.tmpdir(), 'relay-start-app-'));
let child: ChildProcess | undefined;

after(() => {
  // The whole group: start.js, its Azurite (on the fixed ports) and its function host.
  if (child?.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(appDir, { recursive: true, force: true });
});

/** The built app as `npm start` runs it (dist, host.json, package.json), with no local.settings.json. */
function copyOfTheApp(): string {
  for (const part of ['dist/src', 'dist/functions']) cpSync(path.join(projectRoot, part), path.join(appDir, part), { recursive: true });
  for (const file of ['host.json', 'package.json']) copyFileSync(path.join(projectRoot, file), path.join(appDir, file));
  symlinkSync(path.join(projectRoot, 'node_modules'), path.join(appDir, 'node_modules'), 'dir');
  assert.equal(existsSync(path.join(appDir, 'local.settings.json')), false);
  return appDir;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

test('npm start relays a posted message to the development smart host, and stops cleanly', FILE_TIMEOUT, async () => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, RELAY_LOCAL_DATA_DIR: dataDir, RELAY_LOCAL_PORT: '0' };
  const app = copyOfTheApp();
  child = spawn(process.execPath, [path.join(app, 'dist', 'src', 'local', 'start.js')], {
    cwd: dataDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

  const url = await eventually(
    'npm start to print the curl example',
    () => /curl -i -X POST (http:\/\/127\.0\.0\.1:\d+)\/api\/v1\/messages/.exec(output)?.[1],
    60_000,
  );
  // The example exactly as printed, with the key it prints.
  const key = /x-functions-key: ([^']+)'/.exec(output)![1];
  const body = /-d '(\{.*\})'/.exec(output)![1];
  const posted = await fetch(`${url}/api/v1/messages`, { method: 'POST', headers: { 'x-functions-key': key, 'content-type': 'application/json' }, body });
  assert.equal(posted.status, 202);
  const { id } = (await posted.json()) as { id: string };
  const status = await eventually('the message to be sent', async () => {
    const answer = (await (await fetch(`${url}/api/v1/messages/${id}`, { headers: { 'x-functions-key': key } })).json()) as {
      status: string;
      recipients: { status: string }[];
    };
    return answer.status === 'completed' ? answer : undefined;
  });
  assert.equal(status.recipients[0].status, 'sent');
  const emlFiles = readdirSync(path.join(dataDir, 'mail')).filter((f) => f.endsWith('.eml'));
  assert.equal(emlFiles.length, 1);
  assert.match(readFileSync(path.join(dataDir, 'mail', emlFiles[0]), 'utf8'), new RegExp(`Message-ID: <${id}@`));
  assert.match(output, new RegExp(`-> ${path.join(dataDir, 'mail').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/.*\\.eml`), 'the .eml path is printed');

  child.kill('SIGTERM');
  assert.equal(await exited, 0, output);
  for (const port of [10000, 10001, 10002]) assert.equal(await portOpen(port), false, `Azurite port ${port} still open after stop`);
  assert.equal(await portOpen(Number(new URL(url).port)), false, 'the function host still listens after stop');
});
