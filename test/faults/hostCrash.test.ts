// Fault: the function host crashes. It is killed with SIGKILL three times while 500 messages are
// being accepted and relayed, and started again right after each kill. The application keeps sending,
// retrying with the same Idempotency-Key (which makes that safe) when a request dies with the host.
// Every recipient must end `sent` with at least one copy at the smart host. Exactly once cannot be
// promised: a kill between the smart host's 250 and the relay recording it means a second send after
// the task comes back. Each row counts those returns in `redeliveries`, which bounds the copies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, message, type RelayHarness, startRelayHarness } from '../support/relayHarness';
import { addresses, waitUntilAllFinal, type Accepted } from '../support/load';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 900_000 };

const TOTAL = 500;
const CONCURRENT_REQUESTS = 8;
/** Kills when the smart host has received this share of the load. */
const KILL_POINTS = [0.2, 0.45, 0.7];

let relay: RelayHarness;

before(async () => {
  relay = await startRelayHarness({
    env: {
      // Messages a killed host was processing come back after 10 s, not after the 10-minute lease.
      RELAY_LOCAL_QUEUE_LEASE_SECONDS: '10',
      RELAY_RETRY_FIRST_DELAY_SECONDS: '1',
      RELAY_RETRY_MAX_DELAY_SECONDS: '2',
      // The relay's claim on a recipient it is sending to lasts 2 x connect + 3 x socket timeout + 30 s:
      // after a kill, the recipients it held wait that long (54 s here) before another attempt.
      SMARTHOST_CONNECT_TIMEOUT_SECONDS: '3',
      SMARTHOST_SOCKET_TIMEOUT_SECONDS: '6',
    },
  });
});
after(async () => {
  await relay?.stop();
});

interface SendStats {
  failedRequests: number;
  inProgress: number;
}

/**
 * Sends one message per address, a few requests at a time, each until the relay answers 202. Like a
 * careful client it retries with the same Idempotency-Key, soon when the request died with the host,
 * later when the relay answers 409 (a reservation left by an accept the kill cut short, which is taken
 * over after a minute); meanwhile it goes on with other messages.
 */
async function sendLoad(stats: SendStats, signal: AbortSignal): Promise<Accepted[]> {
  const fresh = addresses('crash', TOTAL);
  const retries: { address: string; notBefore: number }[] = [];
  const accepted: Accepted[] = [];
  const deadline = Date.now() + 300_000;
  const worker = async () => {
    while (accepted.length + retries.length < TOTAL || retries.length > 0) {
      signal.throwIfAborted();
      const due = retries.findIndex((r) => r.notBefore <= Date.now());
      const address = due >= 0 ? retries.splice(due, 1)[0].address : fresh.shift();
      if (address === undefined) {
        if (Date.now() > deadline) throw new Error(`not accepted in time: ${retries.map((r) => r.address).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      let retryInMs: number;
      try {
        const answer = await relay.send(message({ to: address, subject: `crash ${address}` }), { 'Idempotency-Key': `crash-${address}` });
        if (answer.status === 202) {
          accepted.push({ id: answer.body.id, address });
          continue;
        }
        assert.equal(answer.status, 409, `${address}: ${answer.text}`);
        stats.inProgress++;
        retryInMs = 5_000;
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        stats.failedRequests++; // the host died under the request, or is still starting again
        retryInMs = 250;
      }
      retries.push({ address, notBefore: Date.now() + retryInMs });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, worker));
  return accepted;
}

async function killAndRestart(signal: AbortSignal): Promise<number[]> {
  const sinkAtKill: number[] = [];
  for (const share of KILL_POINTS) {
    const threshold = Math.round(share * TOTAL);
    await eventually(
      `${threshold} messages at the smart host`,
      () => {
        signal.throwIfAborted();
        return relay.smartHost.messages.length >= threshold ? true : undefined;
      },
      240_000,
    );
    sinkAtKill.push(relay.smartHost.messages.length);
    signal.throwIfAborted();
    await relay.host.kill();
    signal.throwIfAborted(); // the other loop failed: the test is ending, so no new host
    await relay.restartHost();
  }
  return sinkAtKill;
}

/**
 * Runs both loops to the end. The first to fail stops the other, which ends at its next step, so that
 * neither runs on (or starts a host) after the test, and the first failure is the one reported.
 */
async function bothOrNeither<A, B>(first: (signal: AbortSignal) => Promise<A>, second: (signal: AbortSignal) => Promise<B>): Promise<[A, B]> {
  const controller = new AbortController();
  const stopsTheOther = <T>(run: Promise<T>) =>
    run.catch((error: unknown) => {
      controller.abort(error);
      throw error;
    });
  const [a, b] = await Promise.allSettled([stopsTheOther(first(controller.signal)), stopsTheOther(second(controller.signal))]);
  if (a.status === 'rejected' || b.status === 'rejected') throw controller.signal.reason;
  return [a.value, b.value];
}

test('host killed three times under load: every recipient sent, none lost, copies bounded by redeliveries', FILE_TIMEOUT, async () => {
  const stats: SendStats = { failedRequests: 0, inProgress: 0 };
  const [accepted, sinkAtKill] = await bothOrNeither((signal) => sendLoad(stats, signal), killAndRestart);
  assert.equal(new Set(accepted.map((a) => a.address)).size, TOTAL);
  assert.ok(
    sinkAtKill.every((count) => count < TOTAL),
    `every kill came while messages were still being relayed: ${sinkAtKill.join(',')}`,
  );

  const rows = await waitUntilAllFinal(relay, accepted, 240_000);
  const lost: string[] = [];
  const unaccounted: string[] = [];
  let duplicates = 0;
  let redeliveries = 0;
  for (const { address } of accepted) {
    const row = rows.get(address)!;
    const copies = relay.smartHost.countFor(address);
    // absent until a task of this recipient has come back at least once
    const returned = row.redeliveries === undefined ? 0 : Number(row.redeliveries);
    assert.equal(row.status, 'sent', `${address}: ${JSON.stringify(row)}`);
    if (copies < 1) lost.push(address);
    if (copies > 1 + returned) unaccounted.push(`${address}: ${copies} copies, redeliveries ${returned}`);
    duplicates += Math.max(0, copies - 1);
    redeliveries += returned;
  }
  console.log(
    `host crash: ${TOTAL} recipients, ${duplicates} duplicates, ${redeliveries} redeliveries; ` +
      `killed at ${sinkAtKill.join(', ')} messages; ${stats.failedRequests} requests died or were refused, ${stats.inProgress} answered 409 in progress`,
  );
  for (const entry of [...lost, ...unaccounted]) {
    const address = entry.split(':')[0];
    console.log(`${address}, as the hosts logged it:\n  ${relay.hostOutput.filter((line) => line.includes(address)).join('\n  ')}`);
  }
  assert.deepEqual(lost, [], 'recipients with no copy at the smart host');
  assert.deepEqual(unaccounted, [], 'recipients with more copies than 1 + redeliveries');
  assert.equal((await relay.clients.poisonQueue.getProperties()).approximateMessagesCount, 0, 'nothing was poisoned');
  const reached = new Set(relay.smartHost.messages.flatMap((m) => m.to));
  assert.deepEqual(
    [...reached].filter((address) => !rows.has(address)),
    [],
    'nothing reached the smart host but the load',
  );
  assert.equal(reached.size, TOTAL);
});
