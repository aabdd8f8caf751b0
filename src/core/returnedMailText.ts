// Returned mail that is not RFC 3464: some carriers send a text notice naming the address and the
// reason, with the original message attached or its headers quoted below a line of dashes (au/KDDI's
// "Mail System Error - Returned Mail"). Each format is a row here: how to recognise it, where its text
// names the recipients, the reply and the reason, and the header that says the recipient's filter refused it.
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
  /** a header saying the recipient's own filter refused the mail: a policy refusal, never an unknown user */
  filtered?: { header: string; value: RegExp; status: string; reason: string };
  /** the line the quoted original headers follow, when the original is not attached */
  quotedHeadersAfter?: RegExp;
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
    // sisimai reads X-SPASIGN: NG as "filtered": the handset's reception settings (指定受信) refused it
    filtered: { header: 'x-spasign', value: /^NG$/i, status: '5.7.1', reason: "refused by the recipient's reception filter (X-SPASIGN: NG)" },
    quotedHeadersAfter: /^-{20,}[ \t]*$/m,
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
  /** the original message's header section, as the text quotes it */
  quotedHeaders?: string;
}

/** The recipients a known returned-mail notice names, or undefined when it is no such notice or names none. */
export function readReturnedMailText(notice: ReturnedMailNotice): ReturnedMailReading | undefined {
  for (const rule of RETURNED_MAIL_RULES) {
    if (!isNoticeOf(rule, notice)) continue;
    const addresses = [...new Set(rule.recipients.flatMap((pattern) => [...notice.text.matchAll(pattern)].map((m) => m[1] ?? '')))].filter(Boolean);
    if (addresses.length === 0) continue;
    const reply = rule.reply.exec(notice.text);
    const reason = reply ? undefined : rule.reasons.map((r) => r.exec(notice.text)?.[0]?.trim()).find(Boolean);
    const said = reply ? `${reply[1]} ${(reply[2] ?? '').trim()}` : reason;
    const filtered = rule.filtered && isFiltered(rule.filtered, notice.headers.get(rule.filtered.header));
    const diagnostic = filtered
      ? { type: `x-${rule.format}`, text: said ? `${rule.filtered?.reason}: ${said}` : (rule.filtered?.reason ?? '') }
      : reply
        ? { type: 'smtp', text: said ?? '', smtpCode: Number(reply[1]) }
        : said
          ? { type: `x-${rule.format}`, text: said }
          : undefined;
    const status = filtered ? rule.filtered?.status : undefined;
    const quoted = rule.quotedHeadersAfter?.exec(notice.text);
    return {
      format: rule.format,
      recipients: addresses.map((address) => ({ recipient: address, finalRecipient: address, action: rule.action, status, diagnostic })),
      quotedHeaders: quoted ? notice.text.slice(quoted.index + quoted[0].length).replace(/^\r?\n/, '') : undefined,
    };
  }
  return undefined;
}

function isFiltered(marker: NonNullable<ReturnedMailRule['filtered']>, value: unknown): boolean {
  return typeof value === 'string' && marker.value.test(value.trim());
}

function isNoticeOf(rule: ReturnedMailRule, notice: ReturnedMailNotice): boolean {
  const domain = notice.from?.slice(notice.from.lastIndexOf('@') + 1) ?? '';
  return rule.senderDomains.test(domain) || rule.subjects.test(notice.subject?.trim() ?? '') || rule.headers.some((h) => notice.headers.has(h));
}
