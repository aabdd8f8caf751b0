// Reactions: which rules of the delivery policy (config.policy.reactions) an SMTP reply sets off, and
// what each would suspend or slow. Pure: counting matches across instances and storing the suspension
// are the delivery step's (relay/steps/reactToReply.ts). A rule is data, so a new carrier wording is a
// line in the policy, not code.
import { DEFAULT_SMART_HOST, type ReactionRule, type SuspendableKind } from './policy/types';

export const SUSPENDABLE_KINDS: readonly SuspendableKind[] = ['destination', 'smartHost'];

/** What the status shows as `heldBy` while a suspension holds a recipient. */
export function suspensionHold(kind: SuspendableKind, name: string): string {
  return `suspended:${kind}:${name}`;
}

/** The parts of a reply a rule is matched against. */
export interface ReplyParts {
  smtpCode?: number;
  enhancedCode?: string;
  response: string;
}

/**
 * The reply as one line a pattern reads: "421 4.7.0 [TSS04] Messages from ... temporarily deferred".
 * A reply's text begins with its codes already; a network error's does not, and gets none.
 */
export function replyText(reply: ReplyParts): string {
  const text = reply.response.replace(/\s+/g, ' ').trim();
  if (reply.smtpCode === undefined || text.startsWith(String(reply.smtpCode))) return text;
  return [String(reply.smtpCode), reply.enhancedCode, text].filter((p) => p !== undefined && p !== '').join(' ');
}

/** One rule a reply set off, and what it acts on. */
export interface Reaction {
  rule: ReactionRule;
  kind: SuspendableKind;
  name: string;
}

/**
 * The rules `text` matches, in the policy's order, each with its target: the recipient's destination
 * (a rule for destinations does nothing to a recipient no destination covers) or the smart host
 * that gave the reply. A rule scoped by `destinations` applies only to recipients of those.
 */
export function reactionsTo(rules: readonly ReactionRule[], text: string, destination: string | undefined, smartHost: string = DEFAULT_SMART_HOST): Reaction[] {
  const reactions: Reaction[] = [];
  for (const rule of rules) {
    if (rule.destinations && (destination === undefined || !rule.destinations.includes(destination))) continue;
    if (rule.target === 'destination' && destination === undefined) continue;
    // a global or sticky pattern would carry lastIndex from one reply to the next
    rule.pattern.lastIndex = 0;
    if (!rule.pattern.test(text)) continue;
    reactions.push({ rule, kind: rule.target, name: rule.target === 'destination' ? (destination as string) : smartHost });
  }
  return reactions;
}

/** With a threshold, a rule acts once this many matches (this one included) fell within its window. */
export function thresholdReached(rule: ReactionRule, matches: number): boolean {
  return rule.threshold === undefined || matches >= rule.threshold.count;
}
