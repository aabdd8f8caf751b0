// The use-cases behind the two signed event endpoints: authenticate the upstream, read its format
// (./upstreamFormats) and apply the events (./upstreamEvents).
//
// What is refused and what is answered 2xx: an upstream retries what it does not get a 2xx for
// (SendGrid for 24 hours, Event Grid for up to 24 hours with back-off), so only a request that is not
// the upstream's (unsigned, wrongly signed, replayed, wrong secret) or not its format at all (not JSON,
// not an array of events) is refused with 4xx, and nothing of it is applied. Once authenticated, a
// batch is answered 200 even when some of its events match nothing or are of a kind the relay does not
// use: those change nothing and are counted in the answer; sending them again would not change that.
import type { KeyObject } from 'node:crypto';
import { parseJsonBody } from '../core/jsonBody';
import { checkSendGridSignature, sameSecret, sendGridVerificationKey } from '../core/webhookAuth';
import { NotConfiguredError, UnauthorizedError, ValidationError } from '../errors';
import type { RelayDeps, RelayLog } from './deps';
import { type AppliedSummary, applyUpstreamEvents } from './upstreamEvents';
import { arrayOfObjects, EVENT_GRID_VALIDATION, gridEnvelopes, readAcsEvents, readSendGridEvents, type ReadEvents } from './upstreamFormats';

export interface EventsAnswer extends AppliedSummary {
  /** events in the request */
  received: number;
  /** elements that were not events the relay can use; counted, not refused */
  skipped: number;
}

export interface SendGridRequest {
  body: Buffer;
  signature: string | null;
  timestamp: string | null;
}

const keys = new Map<string, KeyObject>();

function verificationKey(setting: string | undefined): KeyObject {
  if (!setting) throw new NotConfiguredError('RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY is not set: SendGrid events cannot be verified, so none are accepted');
  let key = keys.get(setting);
  if (!key) {
    try {
      key = sendGridVerificationKey(setting);
    } catch (err) {
      throw new NotConfiguredError((err as Error).message);
    }
    keys.set(setting, key);
  }
  return key;
}

export async function receiveSendGridEvents(deps: RelayDeps, request: SendGridRequest, log: RelayLog): Promise<EventsAnswer> {
  const key = verificationKey(deps.config.events.sendgridPublicKey);
  const check = checkSendGridSignature(key, request, request.body, deps.now(), deps.config.events.maxAgeSeconds);
  if (!check.ok) throw new UnauthorizedError(`SendGrid Event Webhook: ${check.problem}`);
  const batch = arrayOfObjects(json(request.body));
  if (!batch.ok) throw new ValidationError(batch.errors);
  return apply(deps, readSendGridEvents(batch.items, deps.now()), batch.items.length, log);
}

export interface AcsRequest {
  body: Buffer;
  /** from the x-relay-events-secret header, else the `secret` query parameter */
  secret: string | null;
}

export type AcsAnswer = { validationResponse: string } | EventsAnswer;

/**
 * Event Grid's deliveries of ACS delivery reports. The subscription validation handshake is answered
 * without the secret if none is presented (it echoes the caller's own code and changes nothing;
 * Event Grid sends the URL's query with it, a static header maybe not), but never with a wrong one;
 * events are applied only with the right secret.
 */
export async function receiveAcsEvents(deps: RelayDeps, request: AcsRequest, log: RelayLog): Promise<AcsAnswer> {
  const secret = acsSecret(deps);
  if (request.secret && !sameSecret(request.secret, secret)) throw new UnauthorizedError('ACS events: the secret is not right');
  const grid = gridEnvelopes(json(request.body));
  if (!grid.ok) throw new ValidationError(grid.errors);
  const validation = grid.envelopes.find((e) => e.eventType === EVENT_GRID_VALIDATION);
  if (validation) {
    const code = validation.data.validationCode;
    if (typeof code !== 'string' || code === '') throw new ValidationError([{ field: 'data.validationCode', message: 'is required in a validation event' }]);
    log.log('ACS events: answered the Event Grid subscription validation handshake');
    return { validationResponse: code };
  }
  if (!sameSecret(request.secret, secret)) throw new UnauthorizedError('ACS events: the secret (header x-relay-events-secret or ?secret=) is required');
  return apply(deps, readAcsEvents(grid.envelopes, deps.now()), grid.envelopes.length, log);
}

/** The CloudEvents 1.0 abuse-protection handshake (HTTP OPTIONS): which origin may deliver. */
export function acsAllowedOrigin(deps: RelayDeps, requestOrigin: string | null): string {
  acsSecret(deps);
  const origin = requestOrigin?.trim();
  if (!origin) throw new ValidationError([{ field: 'WebHook-Request-Origin', message: 'is required in the CloudEvents validation request' }]);
  return origin;
}

function acsSecret(deps: RelayDeps): string {
  const secret = deps.config.events.acsSecret;
  if (!secret) throw new NotConfiguredError('RELAY_ACS_EVENTS_SECRET is not set: ACS events cannot be authenticated, so none are accepted');
  return secret;
}

function json(body: Buffer): unknown {
  const parsed = parseJsonBody(body);
  if (!parsed.ok) throw new ValidationError(parsed.errors);
  return parsed.value;
}

async function apply(deps: RelayDeps, read: ReadEvents, received: number, log: RelayLog): Promise<EventsAnswer> {
  const summary = await applyUpstreamEvents(deps, read.events, log);
  if (read.skipped > 0) log.log(`upstream events: ${read.skipped} of ${received} skipped (not a delivery event the relay reads)`);
  return { received, ...summary, skipped: read.skipped };
}
