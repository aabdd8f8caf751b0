// host.json `extensions.queues` as the Storage Queues extension reads it, with its defaults and limits,
// plus the local setting for the processing lease.
export interface QueueListenerOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxPollingIntervalMs: number;
  /** delay before a failed message is visible again */
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
  /**
   * While a message is processed it stays invisible this long, renewed at half of it; after a crash it
   * reappears once this has passed. Not from host.json: the local setting RELAY_LOCAL_QUEUE_LEASE_SECONDS.
   */
  processingLeaseSeconds: number;
}

/** The Functions host's processing lease: 10 minutes. */
export const DEFAULT_PROCESSING_LEASE_SECONDS = 10 * 60;
/** The longest visibility timeout the queue service accepts: 7 days. */
const MAX_PROCESSING_LEASE_SECONDS = 7 * 24 * 60 * 60;

/** Reads RELAY_LOCAL_QUEUE_LEASE_SECONDS; throws naming the setting when it is not a valid lease. */
export function parseProcessingLeaseSeconds(text: string): number {
  const value = text.trim();
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_PROCESSING_LEASE_SECONDS) {
    throw new Error(`RELAY_LOCAL_QUEUE_LEASE_SECONDS is "${text}": it must be a whole number of seconds from 1 to ${MAX_PROCESSING_LEASE_SECONDS}`);
  }
  return Number(value);
}
/** The host's shortest polling interval, from which the back-off doubles. */
export const minimumPollingIntervalMs = 100;

/** Reads host.json `extensions.queues` with the extension's defaults; throws on values it would reject. */
export function readQueueListenerOptions(hostJson: unknown, processingLeaseSeconds = DEFAULT_PROCESSING_LEASE_SECONDS): QueueListenerOptions {
  const queues = objectAt(objectAt(hostJson, 'extensions'), 'queues');
  const batchSize = integerOption(queues, 'batchSize', 16, 1, 32);
  const encoding = (typeof queues.messageEncoding === 'string' ? queues.messageEncoding : 'base64').toLowerCase();
  if (encoding !== 'base64' && encoding !== 'none') throw new Error(`host.json extensions.queues.messageEncoding is "${encoding}": it must be base64 or none`);
  return {
    batchSize,
    newBatchThreshold: integerOption(queues, 'newBatchThreshold', Math.floor(batchSize / 2), 0, 10_000),
    maxPollingIntervalMs: timeSpanOption(queues, 'maxPollingInterval', 60_000),
    visibilityTimeoutMs: timeSpanOption(queues, 'visibilityTimeout', 0),
    maxDequeueCount: integerOption(queues, 'maxDequeueCount', 5, 1, 1_000_000),
    messageEncoding: encoding,
    processingLeaseSeconds,
  };
}

/** Parses a .NET TimeSpan such as "00:00:30", "1.00:00:00" or "00:00:00.250" into milliseconds. */
export function parseTimeSpan(text: string): number | undefined {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, days, hours, minutes, seconds, fraction] = match;
  const ms = Number(`0.${fraction ?? '0'}`) * 1000;
  return Math.round(((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + ms);
}

function objectAt(value: unknown, key: string): Record<string, unknown> {
  const inner = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return inner && typeof inner === 'object' ? (inner as Record<string, unknown>) : {};
}

function integerOption(section: Record<string, unknown>, key: string, fallback: number, min: number, max: number): number {
  const value = section[key];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`host.json extensions.queues.${key} is ${JSON.stringify(value)}: it must be a whole number from ${min} to ${max}`);
  return n;
}

function timeSpanOption(section: Record<string, unknown>, key: string, fallbackMs: number): number {
  const value = section[key];
  if (value === undefined) return fallbackMs;
  const ms = typeof value === 'string' ? parseTimeSpan(value) : undefined;
  if (ms === undefined) throw new Error(`host.json extensions.queues.${key} is ${JSON.stringify(value)}: it must be a time span like "00:00:30"`);
  return ms;
}
