// Send along the route: the recipient's smart hosts in failover order (policies/chooseRoute). The
// next host is tried only when the last one failed in its own way (core/failover: it could not be
// reached, timed out, failed TLS or the relay's login, or said it is busy); its reply, or the last
// failure, decides. Each failure counts against the host's health (a host that keeps failing cools
// off and is skipped, deps.smartHostHealth); a reply resets it. A failover host must fit its own
// limits: a concurrency place (or it is skipped), a rate slot within SEND_WAIT_MS and room in its
// warm-up caps (or the failover stops there and the recipient defers with the reply it has). The
// same bytes go to every host, so a message signed once stays signed as it was.
import { deliveryAttemptBoundMs, FUNCTION_TIMEOUT_MARGIN_MS, FUNCTION_TIMEOUT_MS, type RelayConfig } from '../../config';
import { type SmtpOutcome } from '../../core/delivery';
import { failoverReason } from '../../core/failover';
import { slowedWindows } from '../../core/policy/gcra';
import { limitKey } from '../../core/policy/limits';
import { summarizeError } from '../../errors';
import type { Envelope } from '../ports';
import { SEND_WAIT_MS } from '../policies/holdForRate';
import { smartHostWarmupLimit } from '../policies/holdForWarmup';
import { type DeliveryState, known } from './step';

/**
 * How long into an attempt a failover may still begin: a fast failure (refused, TLS, login, a 4xx,
 * a connect timeout) fails over, a long silence does not, so that the attempt, failover included,
 * stays within the claim's lease and well within functionTimeout.
 */
export function failoverWindowMs(smartHost: RelayConfig['smartHost']): number {
  return Math.max(0, Math.min(smartHost.connectTimeoutMs, FUNCTION_TIMEOUT_MS - FUNCTION_TIMEOUT_MARGIN_MS - deliveryAttemptBoundMs(smartHost)));
}

/** Sends through the route's hosts in turn; sets state.smartHost and state.outcome to the deciding one. */
export async function sendAlongRoute(state: DeliveryState, route: readonly string[], envelope: Envelope, raw: Buffer): Promise<SmtpOutcome> {
  const { deps } = state;
  const startedAt = deps.now().getTime();
  let decided: SmtpOutcome | undefined;
  for (const [i, name] of route.entries()) {
    if (decided) {
      const ready = await readyToFailOver(state, name, deps.now());
      if (ready === 'stop') break;
      if (ready === 'skip') continue;
      state.log.log(`${state.label}: failing over to smart host ${name}`);
    }
    const host = known(deps.smartHosts.get(name), `the connection of smart host ${name}`);
    const outcome = await host.send(envelope, raw);
    state.smartHost = name;
    decided = outcome;
    const reason = failoverReason(outcome);
    await countHealth(state, name, reason);
    if (!reason) break;
    const elapsed = deps.now().getTime() - startedAt;
    if (i + 1 < route.length && elapsed > failoverWindowMs(deps.config.smartHost)) {
      state.log.log(`${state.label}: smart host ${name} failed after ${Math.round(elapsed / 1000)} s (${reason}): too late in the attempt to fail over`);
      break;
    }
    if (i + 1 < route.length) state.log.log(`${state.label}: smart host ${name} failed (${reason})`);
  }
  return known(decided, 'an outcome of the route');
}

/** A failure counts against the host's run of failures, a reply ends it; neither may lose the outcome. */
async function countHealth(state: DeliveryState, name: string, reason: string | undefined): Promise<void> {
  const now = state.deps.now();
  try {
    if (reason === undefined) return await state.deps.smartHostHealth.recordSuccess(name, now);
    const coolsUntil = await state.deps.smartHostHealth.recordFailure(name, reason, now);
    if (coolsUntil) state.log.warn(`smart host ${name} cools off until ${coolsUntil.toISOString()} after repeated failures (${reason})`);
  } catch (err) {
    state.log.warn(`${state.label}: the health of smart host ${name} could not be recorded (${summarizeError(err)})`);
  }
}

/** Whether the failover host fits its own limits now: `skip` it (no place free) or `stop` failing over (no slot soon). */
async function readyToFailOver(state: DeliveryState, name: string, now: Date): Promise<'ready' | 'skip' | 'stop'> {
  const { config, throttles, suspensions } = state.deps;
  const limits = config.policy.smartHosts.get(name);
  if (limits?.concurrency !== undefined) {
    const owner = state.delivery.queueMessageId ?? `${state.task.messageId}/${state.task.recipient}`;
    const until = new Date(now.getTime() + deliveryAttemptBoundMs(config.smartHost));
    const got = await throttles.acquire(limitKey('smartHost', name), limits.concurrency, owner, until, now);
    if (!('place' in got)) {
      state.log.log(`${state.label}: not failing over to ${name}: its ${limits.concurrency} place(s) are taken`);
      return 'skip';
    }
    (state.leases ??= []).push(got);
  }
  if (limits && limits.rate.length > 0) {
    const slowed = await suspensions.activeFor('smartHost', name, now);
    const windows = slowedWindows(limits.rate, slowed?.rateFactor);
    const slot = (await throttles.reserve([{ key: limitKey('smartHost', name), windows }], now)).getTime();
    const ahead = slot - now.getTime();
    if (ahead > SEND_WAIT_MS) {
      state.log.log(`${state.label}: not failing over to ${name}: its next slot is at ${new Date(slot).toISOString()}`);
      return 'stop';
    }
    if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
  }
  const cap = smartHostWarmupLimit(config.policy, name, now);
  if (cap && (await throttles.reserveInWindows([cap], now)).at > now) {
    state.log.log(`${state.label}: not failing over to ${name}: its warm-up caps are reached`);
    return 'stop';
  }
  return 'ready';
}
