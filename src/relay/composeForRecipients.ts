// The bodies a message's recipients get: the UTF-8 message, composed once, and one more per charset
// a recipient's destination asks for (`charset: "iso-2022-jp"`), composed once per charset, never per
// recipient. Each recipient domain's destination is looked up once; a message with no charset
// destination costs that lookup and nothing else.
import { domainOf } from '../core/address';
import { composeInCharset, composeMessage } from '../core/compose';
import { describeCharacter } from '../core/iso2022jp';
import { destinationFor, type Destination, type DestinationCharset } from '../core/policy/types';
import type { SendRequest } from '../core/sendRequest';
import { PayloadTooLargeError } from '../errors';
import type { RelayDeps } from './deps';

/** The body a recipient gets: its charset (absent: UTF-8), its size, and why it is UTF-8 when its destination asked otherwise. */
export interface RecipientBody {
  charset?: DestinationCharset;
  bytes: number;
  note?: string;
}

export interface ComposedForRecipients {
  /** the message in UTF-8 */
  raw: Buffer;
  /** the message in each charset a destination asked for and the text could be carried in */
  variants: ReadonlyMap<DestinationCharset, Buffer>;
  forRecipient: (address: string) => { destination: Destination | undefined; body: RecipientBody };
}

type Variant = { ok: true; raw: Buffer } | { ok: false; note: string };

export async function composeForRecipients(deps: RelayDeps, id: string, request: SendRequest, now: Date): Promise<ComposedForRecipients> {
  const raw = await composeMessage(id, request, now);
  checkSize(deps.config, raw);
  const destinations = destinationsOf(deps, request);
  const variants = await composeVariants(id, request, now, destinations);
  for (const variant of variants.values()) if (variant.ok) checkSize(deps.config, variant.raw);
  return {
    raw,
    variants: new Map([...variants].flatMap(([charset, v]) => (v.ok ? [[charset, v.raw] as const] : []))),
    forRecipient: (address) => {
      const destination = destinations.get(domainOf(address));
      const charset = destination?.charset;
      const variant = charset === undefined ? undefined : variants.get(charset);
      if (variant?.ok) return { destination, body: { charset, bytes: variant.raw.length } };
      return { destination, body: variant ? { bytes: raw.length, note: variant.note } : { bytes: raw.length } };
    },
  };
}

function checkSize(config: RelayDeps['config'], raw: Buffer): void {
  if (raw.length > config.maxMessageBytes) {
    throw new PayloadTooLargeError(`The composed message is ${raw.length} bytes; at most ${config.maxMessageBytes} (RELAY_MAX_MESSAGE_BYTES) are accepted`);
  }
}

/** Each recipient domain's destination: one policy lookup per domain, not per recipient. */
function destinationsOf(deps: RelayDeps, request: SendRequest): Map<string, Destination | undefined> {
  const found = new Map<string, Destination | undefined>();
  for (const r of request.recipients) {
    const domain = domainOf(r.address);
    if (!found.has(domain)) found.set(domain, destinationFor(deps.config.policy, domain));
  }
  return found;
}

/**
 * The message in each charset the recipients' destinations ask for, composed once per charset. Text
 * that charset cannot carry (an emoji in ISO-2022-JP) is sent to them in UTF-8, with a note: modern
 * handsets read UTF-8, and refusing would stop the message for every recipient, over a character
 * that often comes from a user's own data (a name, a nickname) that the sending app cannot change.
 */
async function composeVariants(id: string, request: SendRequest, now: Date, destinations: ReadonlyMap<string, Destination | undefined>) {
  const variants = new Map<DestinationCharset, Variant>();
  for (const destination of destinations.values()) {
    const charset = destination?.charset;
    if (charset === undefined || variants.has(charset)) continue;
    const composed = await composeInCharset(id, request, now, charset);
    variants.set(
      charset,
      composed.ok
        ? composed
        : {
            ok: false,
            note: `composed in UTF-8, not ${charset.toUpperCase()}: the ${composed.field} has ${describeCharacter(composed.character)}, which ${charset.toUpperCase()} cannot carry`,
          },
    );
  }
  return variants;
}
