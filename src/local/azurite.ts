// Runs Azurite (the storage emulator, a devDependency) as a child process for `npm start` and the
// tests. Azurite cannot be required in-process, so its CLI script runs under this Node.js binary.
// Port 0 works: Azurite then prints the ports it got ("... successfully listening at http://..."),
// which is where the connection string's endpoints come from.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';

export interface AzuriteOptions {
  /** folder for Azurite's data; cannot be combined with inMemory */
  location?: string;
  /** keep everything in memory; the default when no location is given */
  inMemory?: boolean;
  /** 0 (the default) lets the system pick a free port */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** false forwards Azurite's access log to `log` (default true: start-up lines only) */
  silent?: boolean;
  /** receives Azurite's output lines; by default they are dropped when silent, printed otherwise */
  log?: (line: string) => void;
  /** how long to wait for the three services to answer; 30 s by default */
  startTimeoutMs?: number;
}

export interface RunningAzurite {
  /** explicit http endpoints with the well-known devstoreaccount1 account and key */
  readonly connectionString: string;
  readonly blobEndpoint: string;
  readonly queueEndpoint: string;
  readonly tableEndpoint: string;
  /** the ports it listens on: pass them to startAzurite again to restart it where clients expect it */
  readonly ports: { readonly blobPort: number; readonly queuePort: number; readonly tablePort: number };
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: whatever Azurite had not yet saved to its location is lost */
  kill(): Promise<void>;
}

/** Azurite's fixed development account (documented publicly; not a secret). */
export const devStoreAccountName = 'devstoreaccount1';
export const devStoreAccountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

type Service = 'Blob' | 'Queue' | 'Table';
const services: readonly Service[] = ['Blob', 'Queue', 'Table'];

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  if (options.location !== undefined && options.inMemory) {
    throw new Error('startAzurite: "location" and "inMemory" cannot be combined (Azurite rejects --location with --inMemoryPersistence)');
  }
  const silent = options.silent ?? true;
  const log = options.log ?? (silent ? () => undefined : (line: string) => console.log(line));
  const args = [
    azuriteScript(),
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(options.blobPort ?? 0),
    '--queueHost',
    '127.0.0.1',
    '--queuePort',
    String(options.queuePort ?? 0),
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(options.tablePort ?? 0),
    '--loose',
    '--disableTelemetry',
    ...(silent ? ['--silent'] : []),
    ...(options.location !== undefined ? ['--location', path.resolve(options.location)] : ['--inMemoryPersistence']),
  ];
  // Azurite would create its folder, but it is also the child's working directory, which must exist.
  if (options.location !== undefined) mkdirSync(path.resolve(options.location), { recursive: true });
  const child = spawn(process.execPath, args, {
    cwd: options.location !== undefined ? path.resolve(options.location) : os.tmpdir(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Killing on exit is best effort: a parent killed with SIGKILL cannot clean up.
  const killChild = () => child.kill();
  process.on('exit', killChild);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => process.off('exit', killChild));

  try {
    const ports = await waitForPorts(child, log, options.startTimeoutMs ?? 30_000);
    const endpoint = (service: Service) => `http://127.0.0.1:${ports[service]}/${devStoreAccountName}`;
    await Promise.all(services.map((service) => waitUntilAnswering(ports[service], Date.now() + (options.startTimeoutMs ?? 30_000), child)));
    const [blobEndpoint, queueEndpoint, tableEndpoint] = services.map(endpoint);
    return {
      connectionString:
        `DefaultEndpointsProtocol=http;AccountName=${devStoreAccountName};AccountKey=${devStoreAccountKey};` +
        `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`,
      blobEndpoint,
      queueEndpoint,
      tableEndpoint,
      ports: { blobPort: ports.Blob, queuePort: ports.Queue, tablePort: ports.Table },
      stop: () => stopChild(child, exited),
      kill: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  }
}

function azuriteScript(): string {
  const packageJsonPath = require.resolve('azurite/package.json');
  const packageJson = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { bin: Record<string, string> };
  return path.join(path.dirname(packageJsonPath), packageJson.bin.azurite);
}

/** Reads Azurite's output until it has reported the port of every service. */
function waitForPorts(child: ChildProcess, log: (line: string) => void, timeoutMs: number): Promise<Record<Service, number>> {
  return new Promise((resolve, reject) => {
    const ports: Partial<Record<Service, number>> = {};
    const recent: string[] = [];
    const timer = setTimeout(() => fail(`Azurite did not report its ports within ${timeoutMs} ms`), timeoutMs);
    const fail = (message: string) => {
      clearTimeout(timer);
      reject(new Error(`${message}${recent.length ? `; its last output:\n  ${recent.join('\n  ')}` : ''}`));
    };
    const onLine = (line: string) => {
      log(line);
      recent.push(line);
      if (recent.length > 10) recent.shift();
      const match = /Azurite (Blob|Queue|Table) service is successfully listening at https?:\/\/[^\s]*:(\d+)/.exec(line);
      if (!match) return;
      ports[match[1] as Service] = Number(match[2]);
      if (services.every((s) => ports[s] !== undefined)) {
        clearTimeout(timer);
        resolve(ports as Record<Service, number>);
      }
    };
    forEachLine(child.stdout, onLine);
    forEachLine(child.stderr, onLine);
    child.once('exit', (code, signal) => fail(`Azurite exited during start-up (${signal ?? `exit code ${code}`})`));
    child.once('error', (error) => fail(`Azurite could not be started: ${error.message}`));
  });
}

function forEachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onLine(line);
  });
}

/** Polls until the service answers any HTTP request (an error status still means it is up). */
async function waitUntilAnswering(port: number, deadline: number, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('Azurite exited during start-up');
    if (await answers(port)) return;
    if (Date.now() > deadline) throw new Error(`Azurite on port ${port} did not answer in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: `/${devStoreAccountName}`, method: 'GET', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // SIGTERM lets Azurite close its servers (and flush its database files); SIGKILL if it hangs.
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 10_000);
  });
  await Promise.race([exited, forced]);
  clearTimeout(timer);
  await exited;
}
