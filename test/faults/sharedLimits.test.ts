// Fault: three instances share one destination's limits. Three local host processes on one Azurite
// and one smart host relay a load of 1.5 times a destination's per-minute rate with concurrency 1,
// and the one sending a recipient the smart host stalls on is killed (SIGKILL) while it holds the
// destination's only lease. At the smart host: no 60-second window holds more than the rate, no two
// transactions for the destination overlap, every recipient arrives exactly once, and the killed
// instance's lease blocks the others no longer than its expiry.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { deliveryAttemptBoundMs } from '../../src/config';
import type { HostProcess } from '../../src/local/hostProcess';
import { eventually, FUNCTION_KEY, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { type Accepted, waitUntilAllFinal } from '../support/load';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 400_000 };

const RATE = 40;
const TOTAL = 45;
/** 1.5 × the rate: one message every 1 s (60/min against 40/min) */
const OFFER_EVERY_MS = 1000;
const DOMAIN = 'limited.test';
/** the recipient whose first transaction the smart host never answers: its sender is the one killed */
// late enough that a full minute at the rate comes before the kill
const STALLED = `r38@${DOMAIN}`;
const POLICY = { destinations: { limited: { domains: [DOMAIN], rate: `${RATE}/min`, concurrency: 1 } } };
const ENV = {
  RELAY_POLICY_JSON: JSON.stringify(POLICY),
  // a killed host's queue messages come back after 10 s, not 10 minutes
  RELAY_LOCAL_QUEUE_LEASE_SECONDS: '10',
  // a short attempt bound (3 × 1 + 3 × 3 + 30 = 42 s), so the killed host's lease expires soon
  SMARTHOST_CONNECT_TIMEOUT_SECONDS: '1',
  SMARTHOST_SOCKET_TIMEOUT_SECONDS: '3',
};

interface Transaction {
  address: string;
  start: number;
  end?: number;
}

let relay: RelayHarness;
const outputs: string[][] = [[], []];
let hosts: HostProcess[] = [];
const transactions: Transaction[] = [];
let stalledOnce = false;
/** the host a request of the load is being sent to, so none is killed under a request */
let requestTo: HostProcess | undefined;

before(async () => {
  relay = await startRelayHarness({
    env: ENV,
    smartHost: {
      rules: {
        onRcpt(address) {
          if (address.endsWith(`@${DOMAIN}`)) transactions.push({ address, start: Date.now() });
          return undefined;
        },
        stallData(envelope) {
          if (stalledOnce || envelope.to[0] !== STALLED) return false;
          stalledOnce = true;
          return true;
        },
        onData(envelope) {
          const open = [...transactions].reverse().find((t) => t.address === envelope.to[0] && t.end === undefined);
          if (open) open.end = Date.now();
          return undefined;
        },
      },
    },
  });
  const others = await Promise.all(outputs.map((lines) => relay.startAnotherHost((line) => lines.push(line))));
  hosts = [relay.host, ...others];
});
after(async () => {
  await relay?.stop();
});

/** The most arrivals any half-open window of `ms` holds. */
function busiestWindow(times: readonly number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** Offers the load at 1.5 × the rate, each request to the next live host in turn. */
async function offerLoad(killed: Set<HostProcess>): Promise<Accepted[]> {
  const accepted: Accepted[] = [];
  for (let i = 0; i < TOTAL; i++) {
    const address = `r${i}@${DOMAIN}`;
    const live = hosts.filter((h) => !killed.has(h));
    const host = live[i % live.length];
    requestTo = host;
    const response = await fetch(`${host.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': FUNCTION_KEY },
      body: JSON.stringify(message({ to: address, subject: `limited ${i}` })),
    });
    const text = await response.text();
    requestTo = undefined;
    assert.equal(response.status, 202, `${address}: ${text}`);
    accepted.push({ id: (JSON.parse(text) as { id: string }).id, address });
    await new Promise((resolve) => setTimeout(resolve, OFFER_EVERY_MS));
  }
  return accepted;
}

/** Kills the host that is sending the stalled recipient, once it holds the lease; when and until when the lease held. */
async function killTheStalledSender(killed: Set<HostProcess>): Promise<{ killedAt: number; leaseUntil: number }> {
  const lines = [relay.hostOutput, ...outputs];
  const sender = await eventually(
    `a host sending ${STALLED}`,
    () => {
      if (!transactions.some((t) => t.address === STALLED)) return undefined;
      // a host that tried before and found the lease busy logged a hold after its "sending"
      const i = lines.findIndex(
        (l) =>
          l
            .filter((line) => line.includes(`to ${STALLED}:`))
            .at(-1)
            ?.includes(': sending') === true,
      );
      return i >= 0 ? hosts[i] : undefined;
    },
    120_000,
  );
  const lease = await relay.clients.shaping.getEntity<Record<string, unknown>>('destination:limited', 'lease|0');
  killed.add(sender);
  await eventually('no load request under way to the host to kill', () => (requestTo === sender ? undefined : true));
  await sender.kill();
  const killedAt = Date.now();
  const open = transactions.find((t) => t.address === STALLED && t.end === undefined);
  if (open) open.end = killedAt; // its session died with the host
  return { killedAt, leaseUntil: Number(lease.until) };
}

test('three instances, one destination at 40/min and concurrency 1, one instance killed mid-send', FILE_TIMEOUT, async () => {
  const killed = new Set<HostProcess>();
  const [accepted, kill] = await Promise.all([offerLoad(killed), killTheStalledSender(killed)]);
  const rows = await waitUntilAllFinal(relay, accepted, 240_000);

  const arrivals = relay.smartHost.messages.filter((m) => m.to[0].endsWith(`@${DOMAIN}`));
  for (const { address } of accepted) {
    assert.equal(rows.get(address)?.status, 'sent', `${address}: ${JSON.stringify(rows.get(address))}`);
    assert.equal(relay.smartHost.countFor(address), 1, `${address} arrived once`);
  }
  assert.equal(arrivals.length, TOTAL);

  const times = arrivals.map((m) => m.receivedAt.getTime());
  const busiest = busiestWindow(times, 60_000);
  assert.ok(busiest <= RATE, `${busiest} arrivals in one 60-second window, over ${RATE}/min`);

  const sorted = [...transactions].filter((t) => t.end !== undefined).sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    assert.ok(sorted[i].start >= sorted[i - 1].end!, `${sorted[i - 1].address} and ${sorted[i].address} were in flight at once`);
  }

  // the killed host's lease: taken for the attempt bound, and nobody waits for it any longer than that
  const bound = deliveryAttemptBoundMs({ connectTimeoutMs: 1000, socketTimeoutMs: 3000 });
  assert.ok(kill.leaseUntil > kill.killedAt && kill.leaseUntil <= kill.killedAt + bound, `lease until ${kill.leaseUntil - kill.killedAt} ms after the kill`);
  const nextArrival = Math.min(...times.filter((t) => t > kill.killedAt));
  assert.ok(nextArrival <= kill.leaseUntil + 12_000, `the next arrival came ${nextArrival - kill.leaseUntil} ms after the killed lease expired`);

  const busyHolds = [relay.hostOutput, ...outputs].flat().filter((line) => line.includes('held, 1 attempt(s) already in flight for destination:limited'));
  assert.ok(busyHolds.length > 0, 'while the killed lease held, the others were held for it, not sent');

  const span = (Math.max(...times) - Math.min(...times)) / 1000;
  console.log(
    `shared limits: ${arrivals.length} arrivals over ${span.toFixed(1)} s, busiest minute ${busiest}/${RATE}; ` +
      `killed at +${((kill.killedAt - Math.min(...times)) / 1000).toFixed(1)} s, lease expired ${((kill.leaseUntil - kill.killedAt) / 1000).toFixed(1)} s later, ` +
      `next arrival ${((nextArrival - kill.leaseUntil) / 1000).toFixed(1)} s after that`,
  );
});
