// Identifiers and keys derived from time. Message ids are UUIDv7 (RFC 9562): unique without
// coordination and sorted by creation time, so the deliveries table lists in the order mail came in.
import { randomBytes, createHash } from 'node:crypto';

export function newMessageId(now: Date = new Date()): string {
  const bytes = randomBytes(16);
  const ms = BigInt(now.getTime());
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = 0x70 | (bytes.readUInt8(6) & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes.readUInt8(8) & 0x3f); // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const MESSAGE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The events table's PartitionKey: the UTC hour, yyyyMMddHH. */
export function hourKey(at: Date): string {
  return at.toISOString().slice(0, 13).replace(/[-T]/g, '');
}

/** A RowKey part that sorts by time: yyyyMMddHHmmssSSS in UTC. */
export function timeKey(at: Date): string {
  return at.toISOString().replace(/[-T:.Z]/g, '');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** When a message id was made (its UUIDv7 timestamp), or undefined if it is not one of ours. */
export function timeOfMessageId(id: string): Date | undefined {
  if (!MESSAGE_ID_PATTERN.test(id)) return undefined;
  return new Date(parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}
