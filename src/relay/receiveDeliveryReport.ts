// A delivery status notification an operator uploads (POST /api/v1/events/dsn): read it, turn each
// recipient's report into an UpstreamEvent and hand them to applyUpstreamEvents, which matches them
// to the relay's recipients (VERP return path, Message-ID) and applies them. Nothing is matched here.
import { sha256Hex } from '../core/ids';
import { type DeliveryReport, parseDeliveryReport, type RecipientReport } from '../core/deliveryReport';
import { PayloadTooLargeError, UnprocessableError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import type { RelayDeps, RelayLog } from './deps';
import { type AppliedSummary, applyUpstreamEvents, type UpstreamEvent } from './upstreamEvents';

/** A DSN with its returned message is small; one carrying a large original is refused rather than parsed. */
export const DSN_MAX_BYTES = 1024 * 1024;

/** The body is the raw message in each case; a mailbox export or Logic App may label it only as bytes. */
export const DSN_MEDIA_TYPES: readonly string[] = ['message/rfc822', 'multipart/report', 'message/global', 'application/octet-stream'];

export interface DeliveryReportInput {
  contentType: string | null;
  /** the Content-Length the caller declared, if any: a larger one is refused before the body is read */
  declaredLength?: number;
  body: Buffer;
}

export interface DeliveryReportAnswer extends AppliedSummary {
  /** the per-recipient reports the DSN held */
  recipients: number;
}

export type ApplyEvents = (deps: RelayDeps, events: readonly UpstreamEvent[], log: RelayLog) => Promise<AppliedSummary>;

/** Refuses what cannot be a DSN upload before reading the body: too large, or not a mail message's type. */
export function checkDeliveryReportRequest(contentType: string | null, declaredLength: number | undefined): void {
  if (declaredLength !== undefined && declaredLength > DSN_MAX_BYTES) throw tooLarge(declaredLength);
  const mediaType = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (!DSN_MEDIA_TYPES.includes(mediaType)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type is "${contentType ?? '(none)'}"; send the notification as it was received, as ${DSN_MEDIA_TYPES.join(', ')}`,
      'The body must be a mail message',
    );
  }
}

export async function receiveDeliveryReport(
  deps: RelayDeps,
  input: DeliveryReportInput,
  log: RelayLog,
  apply: ApplyEvents = applyUpstreamEvents,
): Promise<DeliveryReportAnswer> {
  checkDeliveryReportRequest(input.contentType, input.declaredLength);
  if (input.body.length > DSN_MAX_BYTES) throw tooLarge(input.body.length);
  const reading = await parseDeliveryReport(input.body);
  if (!reading.ok) {
    if (reading.problem === 'not-a-message') throw new ValidationError([{ field: '(body)', message: reading.message }]);
    throw new UnprocessableError(`The body ${reading.message}`, [{ field: '(body)', message: reading.message }]);
  }
  const { report } = reading;
  const events = report.recipients.map((r) => upstreamEvent(report, r, input.body, deps.now()));
  const summary = await apply(deps, events, log);
  log.log(
    `DSN ${report.format}${report.unwrapped ? ' (unwrapped)' : ''} from ${report.reportingMta ?? 'an unnamed MTA'}: ` +
      `${countActions(report.recipients)}; applied ${summary.applied}, unchanged ${summary.unchanged}, unmatched ${summary.unmatched}`,
  );
  return { recipients: events.length, ...summary };
}

export function upstreamEvent(report: DeliveryReport, r: RecipientReport, raw: Buffer, now: Date): UpstreamEvent {
  return {
    source: 'dsn',
    type: r.action,
    smtpCode: r.diagnostic?.smtpCode,
    enhancedCode: r.status,
    response: r.diagnostic?.text,
    // the same DSN uploaded twice names the same events, so they are applied once
    eventId: `dsn-${sha256Hex(`${report.messageId ?? sha256Hex(raw)}\n${r.recipient}\n${r.action}`).slice(0, 32)}`,
    recipient: r.recipient,
    // the returned message's own return path, else where the bounce was delivered: either is the
    // VERP address when the relay sent with one
    returnPath: report.original.returnPath ?? report.envelopeTo,
    internetMessageId: report.original.messageId,
    at: r.lastAttemptAt ?? now,
  };
}

function countActions(recipients: readonly RecipientReport[]): string {
  const counts = new Map<string, number>();
  for (const r of recipients) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  return [...counts].map(([action, n]) => `${n} ${action}`).join(', ');
}

function tooLarge(bytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `The notification is ${bytes} bytes; at most ${DSN_MAX_BYTES} are accepted (attach only the returned headers of a large message)`,
  );
}
