// When a recipient's attempt goes on to the next smart host of its route: the smart host's own
// trouble (it cannot be reached, is too slow, its TLS or the relay's login there fails, or it says
// it is busy or over its quota), never the recipient's answer. A permanent 5xx is about the recipient
// and ends there, whoever sends it; so does a 4xx about the mailbox (full, greylisted). The rules
// are data: the categories of core/bounceRules.json a temporary outcome carries.
import type { Category } from './categories';
import type { SmtpOutcome } from './delivery';

/**
 * The categories that fail over, and for which replies: `any` (a network error, or a reply the bounce
 * rules made temporary because it is about the relay, such as 535 authentication failed), or `4xx`
 * (a reply with no code or a 4xx code only).
 */
export const FAILOVER_CATEGORIES: Readonly<Partial<Record<Category, 'any' | '4xx'>>> = Object.freeze({
  connection: 'any',
  timeout: 'any',
  tls: 'any',
  auth: 'any',
  'rate-limit': '4xx',
});

/** Replies that fail over whatever their category: 421 is the server closing the channel (RFC 5321 4.2.3). */
export const FAILOVER_REPLY_CODES: readonly number[] = Object.freeze([421]);

/** Why `outcome` fails over (the reason counted against the host's health), or undefined when it decides. */
export function failoverReason(outcome: SmtpOutcome): string | undefined {
  if (outcome.kind !== 'temporary' || outcome.category === undefined) return undefined;
  if (outcome.smtpCode !== undefined && FAILOVER_REPLY_CODES.includes(outcome.smtpCode)) return `${outcome.category}: ${oneLine(outcome.response)}`;
  const which = FAILOVER_CATEGORIES[outcome.category];
  if (which === undefined) return undefined;
  if (which === '4xx' && outcome.smtpCode !== undefined && (outcome.smtpCode < 400 || outcome.smtpCode >= 500)) return undefined;
  return `${outcome.category}: ${oneLine(outcome.response)}`;
}

/** A reply's text begins with its code already. */
function oneLine(response: string): string {
  return response.replace(/\s+/g, ' ').slice(0, 200);
}
