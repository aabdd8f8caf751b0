// Why a recipient ended as it did: the category an SMTP reply, a network error or an upstream event
// is classified into (the contract's list, plus `reputation` and `complaint`, which operators act on
// differently from `policy`). The rules that pick one are data: src/core/bounceRules.json.

export const CATEGORIES = [
  /** the address does not exist (5.1.1, "user unknown", the carriers' own wordings) */
  'invalid-recipient',
  'mailbox-full',
  /** refused for the sender, the content or the sender's setup, not for the address */
  'policy',
  /** refused for the sending IP's or domain's reputation (a blocklist, a carrier's sending control) */
  'reputation',
  'rate-limit',
  'message-too-large',
  /** the relay's own credentials at the smart host */
  'auth',
  'tls',
  'connection',
  'timeout',
  /** the recipient reported the message as spam (a feedback loop, an upstream's spam report) */
  'complaint',
  /** its lifetime (RELAY_MAX_RETRY_SECONDS, or its destination's `lifetime`) ended before it could be sent */
  'expired',
  'other',
] as const;

export type Category = (typeof CATEGORIES)[number];

export function isCategory(value: unknown): value is Category {
  return typeof value === 'string' && (CATEGORIES as readonly string[]).includes(value);
}
