// Spawns the local Functions host (hostMain.js) as a child process and waits until it listens. A
// child, not in-process: NODE_EXTRA_CA_CERTS (trust for the development smart host's private CA) is
// read only at process start-up, and tests need to kill the host as a crash would. When the host exits
// with WORKER_RESTART_EXIT_CODE (a function timeout or an uncaught exception, see workerLifetime.ts)
// it is started again on the same port, as Azure restarts its worker; `child` is then the new process.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { ListeningMessage } from './hostMain';
import { WORKER_RESTART_EXIT_CODE } from './workerLifetime';

export interface HostProcess {
  readonly url: string;
  /** the current process (a new one after each worker restart) */
  readonly child: ChildProcess;
  /** how often the host was started again after a worker restart */
  readonly restarts: number;
  /** SIGTERM and wait for a graceful exit */
  stop(): Promise<void>;
  /** SIGKILL, as a crash or a scale-in would */
  kill(): Promise<void>;
  /** resolves with the exit code when the host ends for good (not on a worker restart) */
  readonly exited: Promise<number | null>;
}

export interface SpawnHostOptions {
  env: Record<string, string | undefined>;
  /** receives the host's stdout and stderr lines; default: this process's stdout/stderr */
  output?: (line: string) => void;
  startTimeoutMs?: number;
  /** the app to host; the project root by default */
  appRoot?: string;
}

const HOST_MAIN = path.join(__dirname, 'hostMain.js');

export async function spawnHost(options: SpawnHostOptions): Promise<HostProcess> {
  const output = options.output ?? ((line: string) => process.stdout.write(`${line}\n`));
  let current = await startOnce(options.env, options, output);
  let restarts = 0;
  let ending = false;
  let finish: (code: number | null) => void = () => undefined;
  const exited = new Promise<number | null>((resolve) => (finish = resolve));
  const port = new URL(current.url).port;
  const follow = (started: StartedHost): void => {
    void started.exited.then(async (code) => {
      if (ending || code !== WORKER_RESTART_EXIT_CODE) return finish(code);
      try {
        output(`The function host's worker failed (exit code ${code}); starting it again on port ${port}`);
        current = await startOnce({ ...options.env, RELAY_LOCAL_PORT: port }, options, output);
        restarts++;
        follow(current);
      } catch (error) {
        output(`The function host did not come back: ${error instanceof Error ? error.message : String(error)}`);
        finish(code);
      }
    });
  };
  follow(current);
  const end = async (signal: NodeJS.Signals) => {
    ending = true;
    const child = current.child;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url: current.url,
    get child() {
      return current.child;
    },
    get restarts() {
      return restarts;
    },
    exited,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
  };
}

interface StartedHost {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

function startOnce(env: Record<string, string | undefined>, options: SpawnHostOptions, output: (line: string) => void): Promise<StartedHost> {
  const child = fork(HOST_MAIN, options.appRoot ? [options.appRoot] : [], { env: env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
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

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the function host did not start within ${options.startTimeoutMs ?? 30_000} ms:\n${lines.join('\n')}`));
    }, options.startTimeoutMs ?? 30_000);
    child.on('message', (message: ListeningMessage) => {
      if (message?.type !== 'listening') return;
      clearTimeout(timer);
      resolve({ url: message.url, child, exited });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the function host exited with code ${code} before it listened:\n${lines.join('\n')}`));
    });
  });
}
