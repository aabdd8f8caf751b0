// React to the reply: after a deferral or bounce is recorded, the delivery policy's reaction rules
// (config.policy.reactions) are matched against the smart host's reply, and one that goes off suspends
// or slows the recipient's destination or the smart host that gave the reply for its duration, for every
// instance (deps.suspensions). With a threshold ("3 in an hour") it goes off at the match that
// reaches it, counted across instances. Costs nothing for a 250 or a reply no rule matches. The
// outcome is already recorded, so a suspension that cannot be stored is logged and the delivery
// goes on.
import { domainOf } from '../../core/address';
import { destinationFor } from '../../core/policy/types';
import { type Reaction, reactionsTo, replyText, thresholdReached } from '../../core/reactions';
import { summarizeError } from '../../errors';
import type { Suspension } from '../ports';
import { CONTINUE, type DeliveryState, type DeliveryStep, known } from './step';

/** The reason a reaction's suspension shows: the rule's reply, cut to a readable length. */
const MAX_REASON_REPLY = 300;

export const reactToReply: DeliveryStep = {
  name: 'react to the reply',
  async run(state) {
    const outcome = known(state.outcome, 'the outcome');
    const rules = state.deps.config.policy.reactions;
    if (outcome.kind === 'accepted' || rules.length === 0) return CONTINUE;
    const text = replyText(outcome);
    const destination = destinationFor(state.deps.config.policy, domainOf(state.task.recipient))?.name;
    const at = known(state.finishedAt, 'the end of the send');
    for (const reaction of reactionsTo(rules, text, destination, state.smartHost)) {
      try {
        await react(state, reaction, text, at);
      } catch (err) {
        state.log.error(
          `${state.label}: reaction ${reaction.rule.name} for ${reaction.kind} ${reaction.name} could not be stored; the outcome is recorded (${summarizeError(err)})`,
        );
      }
    }
    return CONTINUE;
  },
};

async function react(state: DeliveryState, { rule, kind, name }: Reaction, text: string, at: Date): Promise<void> {
  const { suspensions } = state.deps;
  if (rule.threshold) {
    const matches = await suspensions.countMatch(rule.name, kind, name, rule.threshold.windowSeconds, at);
    if (!thresholdReached(rule, matches)) {
      state.log.log(`${state.label}: reaction ${rule.name} for ${kind} ${name}: match ${matches} of ${rule.threshold.count}`);
      return;
    }
  }
  const next: Suspension = {
    kind,
    name,
    reason: text.slice(0, MAX_REASON_REPLY),
    source: 'reaction',
    rule: rule.name,
    createdAt: at,
    until: new Date(at.getTime() + rule.durationSeconds * 1000),
  };
  if (rule.action === 'slow') next.rateFactor = rule.rateFactor ?? 0.5;
  const current = await suspensions.activeFor(kind, name, at);
  if (!supersedes(next, current)) return;
  await suspensions.put(next);
  const what = next.rateFactor === undefined ? 'suspended' : `slowed to ${next.rateFactor} of its rate`;
  state.log.warn(`reaction ${rule.name}: ${kind} ${name} ${what} until ${next.until.toISOString()} (${next.reason})`);
}

/** A match within this of the suspension in force does not write it again: a burst of replies writes once. */
const EXTEND_AFTER_MS = 60_000;

/**
 * Whether `next` should replace the suspension in force: a stop beats a slow-down, and of two alike
 * the one that ends later (by more than EXTEND_AFTER_MS) wins, so a reaction never shortens an
 * operator's suspension or turns it into a slow-down.
 */
export function supersedes(next: Suspension, current: Suspension | undefined): boolean {
  if (!current) return true;
  const nextStops = next.rateFactor === undefined;
  const currentStops = current.rateFactor === undefined;
  if (nextStops !== currentStops) return nextStops;
  return next.until.getTime() > current.until.getTime() + EXTEND_AFTER_MS;
}
