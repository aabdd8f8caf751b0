// Process entry of the local Functions host: `node dist/src/local/hostMain.js [appRoot]`.
// The spawner passes the merged settings as the environment (see settings.ts). When the host listens
// it prints "Function host listening on <url>" and, when spawned with an IPC channel, sends
// { type: 'listening', url }. SIGTERM, SIGINT or the IPC channel closing stop it gracefully (exit 0);
// a failed start-up prints the reason and exits 1. A function timeout or an uncaught exception fails
// the running invocations and exits WORKER_RESTART_EXIT_CODE, for hostProcess.ts to start it again.
import path from 'node:path';
import { localDefaults } from './settings';
import { startFunctionHost, type RunningHost } from './functionHost';
import { batchedLines } from './hostLog';
import { parseFunctionKeys } from './hostKeys';
import { parseProcessingLeaseSeconds } from './queueOptions';
import { WORKER_RESTART_EXIT_CODE } from './workerLifetime';

export interface ListeningMessage {
  type: 'listening';
  url: string;
}

type HostSetting = 'RELAY_LOCAL_PORT' | 'RELAY_LOCAL_FUNCTION_KEY' | 'RELAY_LOCAL_ADMIN_KEY' | 'RELAY_LOCAL_FUNCTION_KEYS' | 'RELAY_LOCAL_QUEUE_LEASE_SECONDS';

function settingOrDefault(name: HostSetting): string | undefined {
  return process.env[name]?.trim() || localDefaults()[name];
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new Error(`RELAY_LOCAL_PORT is "${text}": it must be a port number from 0 to 65535`);
  return Number(text);
}

async function main(): Promise<void> {
  // dist/src/local/hostMain.js -> the project root holds dist/, host.json and package.json
  const appRoot = process.argv[2] ? path.resolve(process.argv[2]) : path.resolve(__dirname, '..', '..', '..');
  let host: RunningHost | undefined;
  let stopRequested = false;

  const shutdown = (reason: string) => {
    if (stopRequested) {
      output.flush();
      console.error(`Function host: ${reason} again; exiting without waiting`);
      process.exit(1);
    }
    stopRequested = true;
    output.line(`Function host: ${reason}; stopping`);
    // a signal during start-up is honoured once start-up has finished (see below)
    host?.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        output.flush();
        console.error(`Function host: stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM received'));
  process.on('SIGINT', () => shutdown('SIGINT received'));
  // As the Node.js worker does, but the host completes the failed invocations before the process ends.
  process.on('uncaughtException', (error) => {
    if (host) return host.crash(error);
    output.flush();
    console.error(`Function host: uncaught exception during start-up: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  });
  // The parent went away (its IPC channel closed): do not linger as an orphan.
  if (process.send) process.on('disconnect', () => shutdown('parent process disconnected'));

  try {
    host = await startFunctionHost({
      log: output.line,
      appRoot,
      port: parsePort(settingOrDefault('RELAY_LOCAL_PORT') ?? '0'),
      settings: process.env,
      keys: {
        masterKey: settingOrDefault('RELAY_LOCAL_ADMIN_KEY'),
        hostKeys: [settingOrDefault('RELAY_LOCAL_FUNCTION_KEY') ?? ''].filter(Boolean),
        functionKeys: parseFunctionKeys(settingOrDefault('RELAY_LOCAL_FUNCTION_KEYS')),
      },
      // the unsubscribe links point at this host unless the settings name another public address
      settingsForUrl: process.env.RELAY_PUBLIC_URL?.trim() ? undefined : (url) => ({ RELAY_PUBLIC_URL: url }),
      queueLeaseSeconds: parseProcessingLeaseSeconds(settingOrDefault('RELAY_LOCAL_QUEUE_LEASE_SECONDS') ?? ''),
      onWorkerDeath: () => {
        output.line(`Function host: exiting with code ${WORKER_RESTART_EXIT_CODE} so that the worker restarts`);
        output.flush();
        process.exit(WORKER_RESTART_EXIT_CODE);
      },
    });
  } catch (error) {
    output.flush();
    console.error(`Function host failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }

  output.line(`Function host listening on ${host.url}`);
  output.flush(); // out before the parent hears of it over IPC
  if (process.send && process.connected) {
    const message: ListeningMessage = { type: 'listening', url: host.url };
    process.send(message);
  }
  if (stopRequested) await host.stop().then(() => process.exit(0));
}

const output = batchedLines((chunk) => process.stdout.write(chunk));
// process.exit() skips pending immediates: what was logged before it must still come out.
process.on('exit', () => output.flush());

void main();
