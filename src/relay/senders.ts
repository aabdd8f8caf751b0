// The operator's view of the bounce-rate breaker: GET /api/v1/senders/{domain}, and POST .../resume
// and .../pause. Only the relay's own sender domains (RELAY_ALLOWED_SENDER_DOMAINS) have one; any
// other is not found, whether or not it ever sent.
import { toAsciiDomain } from '../core/address';
import { parseJsonBody } from '../core/jsonBody';
import { NotFoundError, PayloadTooLargeError, orStorageUnavailable, UnsupportedMediaTypeError, ValidationError } from '../errors';
import type { RelayDeps, RelayLog } from './deps';
import type { SenderView } from './ports';

const MAX_PAUSE_BODY_BYTES = 4096;
const MAX_REASON_LENGTH = 200;

export async function getSenderView(deps: RelayDeps, domain: string): Promise<SenderView> {
  const sender = allowedSender(deps, domain);
  return await storage(() => deps.senders.view(sender));
}

/** Lifts the domain's pause; a domain not paused is answered as it is (resuming is idempotent). */
export async function resumeSenderDomain(deps: RelayDeps, domain: string, log: RelayLog): Promise<SenderView> {
  const sender = allowedSender(deps, domain);
  const view = await storage(() => deps.senders.resume(sender, deps.now()));
  log.log(`sender ${sender}: resume asked for; now ${view.state}`);
  return view;
}

export interface PauseInput {
  contentType: string | null;
  body: Buffer;
}

/** An operator's pause, with the reason the view shows; a paused domain keeps the pause it has. */
export async function pauseSenderDomain(deps: RelayDeps, domain: string, input: PauseInput, log: RelayLog): Promise<SenderView> {
  const sender = allowedSender(deps, domain);
  const reason = pauseReason(input);
  const view = await storage(() => deps.senders.pause(sender, reason, deps.now()));
  log.log(`sender ${sender}: pause asked for; now ${view.state}`);
  return view;
}

function allowedSender(deps: RelayDeps, raw: string): string {
  // domainToASCII trims spaces and control characters, which a path segment must not carry in.
  const domain = /[\s\u0000-\u001f\u007f]/.test(raw) ? undefined : toAsciiDomain(raw);
  if (domain === undefined || raw.length > 253) {
    throw new ValidationError([
      {
        field: 'domain',
        message: `${JSON.stringify(raw.slice(0, 100))} is not a domain name (write internationalised domains in their xn-- form or in Unicode)`,
      },
    ]);
  }
  if (!deps.config.allowedSenderDomains.has(domain)) throw new NotFoundError(`The sender domain "${domain}" is not in RELAY_ALLOWED_SENDER_DOMAINS`);
  return domain;
}

function pauseReason(input: PauseInput): string {
  if (input.body.length > MAX_PAUSE_BODY_BYTES)
    throw new PayloadTooLargeError(`The request body is ${input.body.length} bytes; a pause takes at most ${MAX_PAUSE_BODY_BYTES}`);
  const mediaType = (input.contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json')
    throw new UnsupportedMediaTypeError(`Content-Type is "${input.contentType ?? '(none)'}"; send {"reason": "..."} as application/json`);
  const parsed = parseJsonBody(input.body);
  if (!parsed.ok) throw new ValidationError(parsed.errors);
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError([{ field: '(body)', message: 'must be a JSON object' }]);
  const unknown = Object.keys(value).filter((k) => k !== 'reason');
  if (unknown.length > 0) throw new ValidationError(unknown.map((field) => ({ field, message: 'is not a field of a pause (only "reason" is)' })));
  const reason = (value as { reason?: unknown }).reason;
  if (typeof reason !== 'string' || reason.trim() === '') throw new ValidationError([{ field: 'reason', message: 'is required: a short text saying why' }]);
  if (reason.length > MAX_REASON_LENGTH) throw new ValidationError([{ field: 'reason', message: `is longer than ${MAX_REASON_LENGTH} characters` }]);
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(reason))
    throw new ValidationError([{ field: 'reason', message: 'must not contain control characters or line breaks' }]);
  return reason.trim();
}

function storage<T>(action: () => Promise<T>): Promise<T> {
  return orStorageUnavailable(action, "Storage did not answer, so the sender's state cannot be read or changed now. Retry later.");
}
