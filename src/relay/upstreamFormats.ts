// The upstreams' event formats, read into UpstreamEvents: SendGrid's Event Webhook batch, and ACS
// delivery reports as Event Grid delivers them (its own schema or CloudEvents 1.0). A body that is not
// the expected JSON shape is refused as a whole; an element that lacks what an event needs is skipped
// and counted, since refusing the batch would only make the upstream send it again and again.
import { parseSmtpReply } from '../core/delivery';
import type { FieldError } from '../errors';
import { sendGridUpstreamId } from '../core/upstreamId';
import type { UpstreamEvent } from './upstreamEvents';

export interface ReadEvents {
  events: UpstreamEvent[];
  /** elements that were not events the relay can use (no recipient, no type) */
  skipped: number;
}

const ENHANCED_CODE = /\b([245]\.\d{1,3}\.\d{1,3})\b/;
const MAX_TEXT = 2000;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, MAX_TEXT) : undefined;
}

function dateOf(value: unknown, fallback: Date): Date {
  const date = typeof value === 'number' ? new Date(value * 1000) : typeof value === 'string' ? new Date(value) : undefined;
  return date && Number.isFinite(date.getTime()) ? date : fallback;
}

/** The reply codes quoted in a reason text ("550 5.1.1 <x>: user unknown"), if any. */
function codesOf(reason: string | undefined, enhanced: unknown): { smtpCode?: number; enhancedCode?: string } {
  const reply = reason ? parseSmtpReply(reason) : undefined;
  const status = typeof enhanced === 'string' && ENHANCED_CODE.test(enhanced) ? ENHANCED_CODE.exec(enhanced)?.[1] : undefined;
  return { smtpCode: reply?.smtpCode, enhancedCode: status ?? reply?.enhancedCode ?? (reason ? ENHANCED_CODE.exec(reason)?.[1] : undefined) };
}

/** A JSON array of objects, or the field errors that say why not. */
export function arrayOfObjects(value: unknown): { ok: true; items: Json[] } | { ok: false; errors: FieldError[] } {
  if (!Array.isArray(value)) return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON array of events' }] };
  const bad = value.findIndex((item) => !isObject(item));
  if (bad >= 0) return { ok: false, errors: [{ field: `[${bad}]`, message: 'must be an object' }] };
  return { ok: true, items: value as Json[] };
}

/**
 * SendGrid's events: `event` (processed, deferred, delivered, bounce, dropped, spamreport, unsubscribe,
 * group_unsubscribe, open, click), `email`, `timestamp`, `smtp-id` (the Message-ID), `sg_event_id`,
 * `sg_message_id` (the 250's id and a suffix), `reason`, `status` (enhanced code), and `type`, which
 * tells a bounce from a block.
 */
export function readSendGridEvents(items: readonly Json[], now: Date): ReadEvents {
  const events: UpstreamEvent[] = [];
  for (const item of items) {
    const name = text(item.event)?.toLowerCase();
    const recipient = text(item.email);
    if (!name || !recipient) continue;
    const reason = text(item.reason) ?? text(item.response);
    const sgMessageId = text(item.sg_message_id);
    events.push({
      source: 'sendgrid',
      type: name === 'bounce' && text(item.type)?.toLowerCase() === 'blocked' ? 'blocked' : name,
      ...codesOf(reason, item.status),
      response: reason,
      eventId: text(item.sg_event_id),
      recipient,
      internetMessageId: text(item['smtp-id']),
      upstreamId: sgMessageId ? sendGridUpstreamId(sgMessageId) : undefined,
      at: dateOf(item.timestamp, now),
    });
  }
  return { events, skipped: items.length - events.length };
}

export const ACS_DELIVERY_REPORT = 'Microsoft.Communication.EmailDeliveryReportReceived';
export const EVENT_GRID_VALIDATION = 'Microsoft.EventGrid.SubscriptionValidationEvent';

/** Event Grid's envelope in either schema: its own (eventType, eventTime) or CloudEvents 1.0 (type, time). */
export interface GridEnvelope {
  id?: string;
  eventType?: string;
  time?: string;
  data: Json;
}

/** The envelopes of an Event Grid delivery: an array (either schema, batched) or one CloudEvent. */
export function gridEnvelopes(value: unknown): { ok: true; envelopes: GridEnvelope[] } | { ok: false; errors: FieldError[] } {
  const list = isObject(value) && typeof value.specversion === 'string' ? [value] : value;
  const checked = arrayOfObjects(list);
  if (!checked.ok) return { ok: false, errors: checked.errors.map((e) => ({ ...e, message: `${e.message} (Event Grid events)` })) };
  return {
    ok: true,
    envelopes: checked.items.map((item) => ({
      id: text(item.id),
      eventType: text(item.eventType) ?? text(item.type),
      time: text(item.eventTime) ?? text(item.time),
      data: isObject(item.data) ? item.data : {},
    })),
  };
}

/**
 * ACS delivery reports: data.status (Delivered, Bounced, Failed, Suppressed, FilteredSpam, Quarantined,
 * Expanded), data.recipient, data.internetMessageId, data.messageId (the ACS operation id),
 * data.deliveryStatusDetails.statusMessage, data.deliveryAttemptTimestamp (also spelled ...TimeStamp).
 */
export function readAcsEvents(envelopes: readonly GridEnvelope[], now: Date): ReadEvents {
  const events: UpstreamEvent[] = [];
  for (const envelope of envelopes) {
    const { data } = envelope;
    const status = text(data.status);
    const recipient = text(data.recipient);
    if (envelope.eventType !== ACS_DELIVERY_REPORT || !status || !recipient) continue;
    const details = data.deliveryStatusDetails;
    const reason = isObject(details) ? text(details.statusMessage) : text(details);
    events.push({
      source: 'acs',
      type: status,
      ...codesOf(reason, undefined),
      response: reason,
      eventId: envelope.id,
      recipient,
      internetMessageId: text(data.internetMessageId),
      upstreamId: text(data.messageId),
      at: dateOf(data.deliveryAttemptTimestamp ?? data.deliveryAttemptTimeStamp ?? envelope.time, now),
    });
  }
  return { events, skipped: envelopes.length - events.length };
}
