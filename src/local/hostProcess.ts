// Spawns the local Functions host (hostMain.js) as a child process and waits until it listens. A
// child, not in-process: NODE_EXTRA_CA_CERTS (trust for the development smart host's private CA) is
// read only at process start-up, and tests need to kill the host as a crash would.
import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { ListeningMessage } from './hostMain';

export interface HostProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM and wait for a graceful exit */
  stop(): Promise<void>;
  /** SIGKILL, as a crash or a scale-in would */
  kill(): Promise<void>;
  /** resolves with the exit code when the process ends */
  readonly exited: Promise<number | null>;
}

export interface SpawnHostOptions {
  env: Record<string, string | undefined>;
  /** receives the host's stdout and stderr lines; default: this process's stdout/stderr */
  output?: (line: string) => void;
  startTimeoutMs?: number;
}

const HOST_MAIN = path.join(__dirname, 'hostMain.js');

export function spawnHost(options: SpawnHostOptions): Promise<HostProcess> {
  const child = fork(HOST_MAIN, [], { env: options.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const output = options.output ?? ((line: string) => process.stdout.write(`${line}\n`));
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 50) lines.shift();
        output(line);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitExit = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the function host did not start within ${options.startTimeoutMs ?? 30_000} ms:\n${lines.join('\n')}`));
    }, options.startTimeoutMs ?? 30_000);
    child.on('message', (message: ListeningMessage) => {
      if (message?.type !== 'listening') return;
      clearTimeout(timer);
      resolve({ url: message.url, child, exited, stop: () => waitExit('SIGTERM'), kill: () => waitExit('SIGKILL') });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the function host exited with code ${code} before it listened:\n${lines.join('\n')}`));
    });
  });
}
