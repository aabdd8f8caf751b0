// The one upstream every contender relays to: the project's development smart host (smtp-server on
// loopback, STARTTLS and AUTH required). It keeps messages in memory, not as .eml files: disk writes
// would load the same disk Azurite and Postfix work on, and the sink is not what is being measured.
// Each bench message carries an X-Bench-Id header; the sink notes when each id arrived.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startDevSmartHost, type DevSmartHost } from '../src/local/devSmartHost';

export const BENCH_ID_HEADER = 'X-Bench-Id';
const ID_PATTERN = /^X-Bench-Id:[ \t]*([^\r\n]+)/im;

export interface Sink {
  readonly smtp: DevSmartHost;
  readonly username: string;
  readonly password: string;
  /** Messages accepted since the last reset() */
  readonly count: number;
  /** performance.now() of each arrival since the last reset(), in order */
  readonly arrivalTimes: readonly number[];
  /** performance.now() at which the message with this bench id arrived */
  arrivalOf(id: string): number | undefined;
  /** Resolves with performance.now() when `count` messages have arrived since the last reset() */
  waitForCount(count: number, timeoutMs: number): Promise<number>;
  reset(): void;
  stop(): Promise<void>;
}

export function benchIdOf(raw: Buffer): string | undefined {
  const headerEnd = raw.indexOf('\r\n\r\n');
  return ID_PATTERN.exec(raw.subarray(0, headerEnd < 0 ? Math.min(raw.length, 16_384) : headerEnd).toString('latin1'))?.[1].trim();
}

export async function startSink(): Promise<Sink> {
  const username = 'bench-relay';
  const password = randomBytes(18).toString('base64url');
  let arrivals = new Map<string, number>();
  let times: number[] = [];
  const smtp = await startDevSmartHost({
    port: 0,
    certificateDir: path.join(os.tmpdir(), 'relay-bench-certificate'),
    users: [{ username, password }],
    rules: {
      onData(_envelope, raw) {
        const now = performance.now();
        times.push(now);
        const id = benchIdOf(raw);
        if (id !== undefined) arrivals.set(id, now);
        // the bytes are not needed again: keep memory flat over thousands of messages
        smtp.messages.length = 0;
        return undefined;
      },
    },
  });
  return {
    smtp,
    username,
    password,
    get count() {
      return times.length;
    },
    get arrivalTimes() {
      return times;
    },
    arrivalOf: (id) => arrivals.get(id),
    waitForCount: async (count, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (times.length < count) {
        if (Date.now() > deadline) throw new Error(`the sink received ${times.length} of ${count} messages within ${Math.round(timeoutMs / 1000)} s`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return times[count - 1];
    },
    reset: () => {
      arrivals = new Map();
      times = [];
      smtp.messages.length = 0;
    },
    stop: () => smtp.stop(),
  };
}
