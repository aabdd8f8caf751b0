// `npm start` as a newcomer runs it: embedded defaults, Azurite on its usual ports, the development
// smart host; a message posted with the printed curl command ends `sent`, its .eml is written, and
// SIGTERM stops everything cleanly.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '../support/relayHarness';

const projectRoot = path.resolve(__dirname, '..', '..', '..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'relay-start-'));
let child: ChildProcess | undefined;

after(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

test('npm start relays a posted message to the development smart host, and stops cleanly', async () => {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, RELAY_LOCAL_DATA_DIR: dataDir, RELAY_LOCAL_PORT: '0' };
  child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'src', 'local', 'start.js')], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

  const url = await eventually('npm start to print the curl example', () => /curl -i -X POST (http:\/\/127\.0\.0\.1:\d+)\/api\/v1\/messages/.exec(output)?.[1], 60_000);
  // The example exactly as printed, with the key it prints.
  const key = /x-functions-key: ([^']+)'/.exec(output)![1];
  const body = /-d '(\{.*\})'/.exec(output)![1];
  const posted = await fetch(`${url}/api/v1/messages`, { method: 'POST', headers: { 'x-functions-key': key, 'content-type': 'application/json' }, body });
  assert.equal(posted.status, 202);
  const { id } = (await posted.json()) as { id: string };
  const status = await eventually('the message to be sent', async () => {
    const answer = (await (await fetch(`${url}/api/v1/messages/${id}`, { headers: { 'x-functions-key': key } })).json()) as { status: string; recipients: { status: string }[] };
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
