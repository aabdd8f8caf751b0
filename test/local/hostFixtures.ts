// Test helpers: fixture app folders, a hostMain child process, and polling with a deadline.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ListeningMessage } from '../../src/local/hostMain';

/** dist/src/local/hostMain.js, next to this file's compiled form in dist/test/local */
export const hostMainScript = path.resolve(__dirname, '..', '..', 'src', 'local', 'hostMain.js');
export const fixturesDir = path.resolve(__dirname, 'fixtures');

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A new folder under the system temp folder, removed when the test process exits. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/**
 * Writes host.json and package.json into a new folder, with `main` pointing (relatively, as a
 * pattern) at compiled fixture entry points, e.g. entryPoints = 'app/*.js'.
 */
export function writeFixtureApp(entryPoints: string, hostJson: object): string {
  const appRoot = makeTempDir('relay-fixture-app-');
  mkdirSync(appRoot, { recursive: true });
  const main = path.relative(appRoot, path.join(fixturesDir, entryPoints)).split(path.sep).join('/');
  writeFileSync(path.join(appRoot, 'package.json'), JSON.stringify({ name: 'fixture-app', main }, null, 2));
  writeFileSync(path.join(appRoot, 'host.json'), JSON.stringify(hostJson, null, 2));
  return appRoot;
}

export interface HostProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** everything the host printed so far (stdout and stderr); a function value, passed around on its own */
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then waits for the exit */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function forkHost(appRoot: string, env: Record<string, string | undefined>) {
  const child = fork(hostMainScript, [appRoot], {
    env: { ...process.env, RELAY_LOCAL_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

/** Starts hostMain for `appRoot` and resolves once it reports that it listens. */
export async function spawnHost(appRoot: string, env: Record<string, string | undefined>): Promise<HostProcess> {
  const { child, output, exited } = forkHost(appRoot, env);
  const url = await new Promise<string>((resolve, reject) => {
    child.on('message', (message: ListeningMessage) => {
      if (message.type === 'listening') resolve(message.url);
    });
    void exited.then(({ code, signal }) => reject(new Error(`host exited during start-up (${signal ?? code}):\n${output()}`)));
  });
  return {
    url,
    child,
    output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs hostMain for an app that must fail to start; resolves with its exit code and output. */
export async function runFailingHost(appRoot: string, env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const { child, output, exited } = forkHost(appRoot, env);
  child.on('message', () => child.kill('SIGKILL')); // it started after all: end it, the test then fails on the code
  const { code } = await exited;
  return { code, output: output() };
}

/** Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: string | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
