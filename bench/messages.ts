// One kind of message for every contender: a plain-text message of about 1 KiB to one recipient,
// tagged with an X-Bench-Id header so the sink can tell when each one arrived.
import { BENCH_ID_HEADER } from './sink';

const FROM = { name: 'Bench', address: 'bench@example.com' };
const PARAGRAPH = 'This message was sent by the relay benchmark. It carries about one kilobyte of plain text, like a typical notification. ';
const TEXT = PARAGRAPH.repeat(Math.ceil(1024 / PARAGRAPH.length)).slice(0, 1024);

export const SENDER_DOMAIN = 'example.com';
/** where every bench message goes unless a stage names another domain */
export const RECIPIENT_DOMAIN = 'example.net';

export function recipientFor(id: string, domain = RECIPIENT_DOMAIN): string {
  return `user-${id}@${domain}`;
}

/** The JSON body of POST /api/v1/messages; `domain` is the recipient's (the shaping stage's rule names it) */
export function apiMessage(id: string, domain?: string): Record<string, unknown> {
  return {
    from: `${FROM.name} <${FROM.address}>`,
    to: recipientFor(id, domain),
    subject: `Bench message ${id}`,
    text: TEXT,
    headers: { [BENCH_ID_HEADER]: id },
  };
}

/** The same message for nodemailer (straight to the sink, or into Postfix) */
export function mailOptions(id: string) {
  return { from: FROM, to: recipientFor(id), subject: `Bench message ${id}`, text: TEXT, headers: { [BENCH_ID_HEADER]: id } };
}
