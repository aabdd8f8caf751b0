// Load shapes: a fixed count at a fixed concurrency (closed loop), and a steady rate (open loop:
// each request starts on schedule whether or not earlier ones have finished). Plus a lean HTTP
// client: keep-alive connections and http.request, cheaper on a shared 2-core machine than fetch.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface ClosedLoopResult {
  /** milliseconds per task, in completion order */
  latencies: number[];
  elapsedMs: number;
}

export async function runClosedLoop(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const t0 = performance.now();
      await task(index);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { latencies, elapsedMs: performance.now() - started };
}

/** Starts task(i) at start + i / rate for `durationMs`; resolves when every task has settled. */
export async function runPaced(
  ratePerSecond: number,
  durationMs: number,
  task: (index: number) => Promise<void>,
): Promise<{ started: number; failures: unknown[] }> {
  const total = Math.floor((durationMs / 1000) * ratePerSecond);
  const interval = 1000 / ratePerSecond;
  const started = performance.now();
  const running: Promise<void>[] = [];
  const failures: unknown[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + i * interval - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    running.push(task(i).catch((error: unknown) => void failures.push(error)));
  }
  await Promise.all(running);
  return { started, failures };
}

export class ApiClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly base: URL;

  constructor(
    url: string,
    private readonly functionKey: string,
  ) {
    this.base = new URL(url);
  }

  /** POST /api/v1/messages; resolves on 202, rejects with the status and problem title otherwise. */
  send(message: unknown): Promise<void> {
    const body = Buffer.from(JSON.stringify(message));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method: 'POST',
          path: '/api/v1/messages',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-functions-key': this.functionKey },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            if (res.statusCode === 202) return resolve();
            const text = Buffer.concat(chunks).toString('utf8');
            let title = text.slice(0, 200);
            try {
              title = (JSON.parse(text) as { title?: string; detail?: string }).detail ?? title;
            } catch {
              // not problem+json: keep the start of the text
            }
            reject(new Error(`POST /api/v1/messages answered ${res.statusCode}: ${title}`));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
