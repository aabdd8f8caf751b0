// Returned mail that is not RFC 3464: some carriers send a text notice naming the address and the
// reason, with the original message attached (au/KDDI's "Mail System Error - Returned Mail"). Each
// format is a row here: how to recognise it, where its text names the recipients, the reply, the reason.
import type { DsnAction, RecipientReport } from './deliveryReport';

export type ReturnedMailFormat = 'au-kddi';

interface ReturnedMailRule {
  format: ReturnedMailFormat;
  /** the notice is this format's when its sender's domain, its subject or one of its headers says so */
  senderDomains: RegExp;
  subjects: RegExp;
  headers: readonly string[];
  /** where the text names a recipient (group 1: the address) */
  recipients: readonly RegExp[];
  /** the remote server's reply, quoted in the text (group 1: the code, group 2: the rest) */
  reply: RegExp;
  /** a reason line, when no reply is quoted */
  reasons: readonly RegExp[];
  action: DsnAction;
}

const ADDRESS = String.raw`([^<>\s@]+@[^<>\s@]+)`;

export const RETURNED_MAIL_RULES: readonly ReturnedMailRule[] = [
  {
    // lhost-ezweb and lhost-kddi in sisimai's set-of-emails show the variants this reads
    format: 'au-kddi',
    senderDomains: /(?:^|\.)(?:ezweb\.ne\.jp|au\.com|auone-net\.jp|dion\.ne\.jp|kddi\.com)$/i,
    subjects: /^Mail System Error - Returned Mail$/i,
    headers: ['x-spasign'],
    recipients: [
      new RegExp(String.raw`^\s*Recipient:\s*<${ADDRESS}>`, 'gim'),
      new RegExp(String.raw`Could not be delivered to:\s*<${ADDRESS}>`, 'gi'),
      new RegExp(String.raw`^\s*<${ADDRESS}>\s*$`, 'gm'),
    ],
    reply: /^\s*<<<\s*([245]\d\d)[ -](.+)$/m,
    reasons: [
      /^.*\buser unknown\b.*$/im,
      /^.*\baccount is disabled\b.*$/im,
      /^.*\bmailbox is full\b.*$/im,
      /^.*\bwas not delivered within\b.*$/im,
      /^.*\brejected\b.*$/im,
    ],
    action: 'failed',
  },
];

export interface ReturnedMailNotice {
  from?: string;
  subject?: string;
  headers: ReadonlyMap<string, unknown>;
  /** the notice's text, decoded */
  text: string;
}

export interface ReturnedMailReading {
  format: ReturnedMailFormat;
  recipients: RecipientReport[];
}

/** The recipients a known returned-mail notice names, or undefined when it is no such notice or names none. */
export function readReturnedMailText(notice: ReturnedMailNotice): ReturnedMailReading | undefined {
  for (const rule of RETURNED_MAIL_RULES) {
    if (!isNoticeOf(rule, notice)) continue;
    const addresses = [...new Set(rule.recipients.flatMap((pattern) => [...notice.text.matchAll(pattern)].map((m) => m[1] ?? '')))].filter(Boolean);
    if (addresses.length === 0) continue;
    const reply = rule.reply.exec(notice.text);
    const reason = reply ? undefined : rule.reasons.map((r) => r.exec(notice.text)?.[0]?.trim()).find(Boolean);
    const diagnostic = reply
      ? { type: 'smtp', text: `${reply[1]} ${(reply[2] ?? '').trim()}`, smtpCode: Number(reply[1]) }
      : reason
        ? { type: `x-${rule.format}`, text: reason }
        : undefined;
    return {
      format: rule.format,
      recipients: addresses.map((address) => ({ recipient: address, finalRecipient: address, action: rule.action, diagnostic })),
    };
  }
  return undefined;
}

function isNoticeOf(rule: ReturnedMailRule, notice: ReturnedMailNotice): boolean {
  const domain = notice.from?.slice(notice.from.lastIndexOf('@') + 1) ?? '';
  return rule.senderDomains.test(domain) || rule.subjects.test(notice.subject?.trim() ?? '') || rule.headers.some((h) => notice.headers.has(h));
}
