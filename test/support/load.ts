// Sending many messages through the harness, a few requests at a time, as a busy application would.
import assert from 'node:assert/strict';
import { message, type RelayHarness } from './relayHarness';
import { storedDeliveries } from './storedResults';

export interface Accepted {
  id: string;
  address: string;
}

/** Sends one single-recipient message per address, `concurrency` requests at a time; each must get 202. */
export async function sendEach(relay: RelayHarness, addresses: readonly string[], concurrency = 8): Promise<Accepted[]> {
  const accepted: Accepted[] = new Array<Accepted>(addresses.length);
  let next = 0;
  const worker = async () => {
    while (next < addresses.length) {
      const i = next++;
      const answer = await relay.send(message({ to: addresses[i], subject: `load ${addresses[i]}` }));
      assert.equal(answer.status, 202, `${addresses[i]}: ${answer.text}`);
      accepted[i] = { id: answer.body.id, address: addresses[i] };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, addresses.length) }, worker));
  return accepted;
}

/** Addresses `${prefix}-0@example.net` … `${prefix}-${count - 1}@example.net`. */
export function addresses(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}@example.net`);
}

const FINAL = new Set(['sent', 'bounced', 'failed', 'suppressed']);

/** Polls the deliveries table until every accepted recipient is final; returns their rows by address. */
export async function waitUntilAllFinal(relay: RelayHarness, accepted: readonly Accepted[], timeoutMs: number): Promise<Map<string, Record<string, unknown>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await storedDeliveries(relay);
    const mine = new Map(accepted.map((a) => [a.address, rows.get(`${a.id}/${a.address.toLowerCase()}`)]));
    const pending = [...mine].filter(([, row]) => !row || !FINAL.has(String(row.status)));
    if (pending.length === 0) return mine as Map<string, Record<string, unknown>>;
    if (Date.now() > deadline) {
      const sample = pending.slice(0, 5).map(([address, row]) => `${address}: ${row ? `${String(row.status)}, attempts ${String(row.attempts)}` : 'no row'}`);
      throw new Error(`${pending.length} of ${accepted.length} recipients not final after ${timeoutMs} ms, e.g. ${sample.join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
