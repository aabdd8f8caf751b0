// In Azure the functions run in a Node.js worker process beside the host. An invocation that overruns
// host.json `functionTimeout`, or an exception nothing catches (the worker exits on it), makes the host
// fail every invocation running in that worker and restart the worker: queue messages of the failed
// invocations take the failure path (released for `visibilityTimeout`, counting towards poison) and
// module state starts afresh. The local host runs the app in its own process, so it fails the
// invocations itself and leaves the restart to whoever launched it: once the failures are completed,
// the process exits with WORKER_RESTART_EXIT_CODE and hostProcess.ts starts it again on the same port.

import { asError } from '../errors';

/** The exit code that asks the launcher to start the host again (EX_TEMPFAIL). */
export const WORKER_RESTART_EXIT_CODE = 75;

/** What the Flex Consumption plan allows when host.json sets no functionTimeout: 30 minutes. */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 30 * 60 * 1000;

export class FunctionTimeoutError extends Error {
  override readonly name = 'FunctionTimeoutError';
}

export class WorkerRestartError extends Error {
  override readonly name = 'WorkerRestartError';
}

export class WorkerLifetime {
  #death?: Error;
  readonly #running = new Set<(error: Error) => void>();

  /**
   * @param functionTimeoutMs undefined for no limit (host.json "functionTimeout": "-1")
   * @param onDeath called once, after every running invocation has been told it failed
   */
  constructor(
    readonly functionTimeoutMs: number | undefined,
    private readonly onDeath: (reason: Error) => void,
  ) {}

  get dead(): boolean {
    return this.#death !== undefined;
  }

  /** Runs one invocation; it rejects when it overruns functionTimeout or the worker dies meanwhile. */
  run<T>(functionName: string, work: () => Promise<T>): Promise<T> {
    if (this.#death) return Promise.reject(new WorkerRestartError(`The worker is restarting (${this.#death.message}); the invocation did not run`));
    return new Promise<T>((resolve, reject) => {
      const fail = (error: Error) => {
        settle();
        reject(error);
      };
      const limit = this.functionTimeoutMs;
      const timer =
        limit === undefined
          ? undefined
          : setTimeout(() => {
              const timeout = new FunctionTimeoutError(`Timeout value of ${formatTimeSpan(limit)} was exceeded by function: Functions.${functionName}`);
              fail(timeout);
              this.die(timeout);
            }, limit);
      const settle = () => {
        clearTimeout(timer);
        this.#running.delete(fail);
      };
      this.#running.add(fail);
      work().then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(asError(error));
        },
      );
    });
  }

  /** Fails every running invocation and reports the death once; later calls do nothing. */
  die(reason: Error): void {
    if (this.#death) return;
    this.#death = reason;
    for (const fail of [...this.#running]) fail(new WorkerRestartError(`The worker running this invocation is restarting: ${reason.message}`));
    this.onDeath(reason);
  }
}

/** host.json functionTimeout: a TimeSpan, or "-1" for none. */
export function parseFunctionTimeout(value: unknown, parseTimeSpan: (text: string) => number | undefined): number | undefined {
  if (value === undefined) return DEFAULT_FUNCTION_TIMEOUT_MS;
  if (value === -1 || value === '-1') return undefined;
  const ms = typeof value === 'string' ? parseTimeSpan(value) : undefined;
  if (ms === undefined || ms < 1000)
    throw new Error(`host.json functionTimeout is ${JSON.stringify(value)}: it must be a time span of at least one second like "00:10:00", or -1`);
  return ms;
}

/** 90061000 -> "1.01:01:01", 600000 -> "00:10:00", as the host writes a TimeSpan. */
export function formatTimeSpan(ms: number): string {
  const totalSeconds = Math.floor(ms / 1000);
  const days = Math.floor(totalSeconds / 86400);
  const pad = (n: number) => String(n).padStart(2, '0');
  const clock = `${pad(Math.floor(totalSeconds / 3600) % 24)}:${pad(Math.floor(totalSeconds / 60) % 60)}:${pad(totalSeconds % 60)}`;
  return days > 0 ? `${days}.${clock}` : clock;
}
