// The id a smart host gives a message in its 250 reply, kept in the row's upstreamId so that its later
// events (which may not quote our Message-ID) can be matched. The wordings, as the hosts write them:
//   Postfix, SendGrid   250 2.0.0 Ok: queued as 4BxYz1234   /   250 Ok: queued as nhIMmON9SFOPcT0ii4nt2A
//   Exchange Online     250 2.6.0 <id@host> [InternalId=105849469029151, Hostname=...] ... Queued mail for delivery
//   Exim                250 OK id=1tXyZa-0001Ab-Cd
//   Amazon SES          250 Ok 0100017b0e35a8c6-2021949e-71e7-4802-aa95-ae62b696b836-000000
// A reply in none of these shapes has no id to keep; matching then relies on VERP or Message-ID.

const UPSTREAM_ID_RULES: readonly { host: string; pattern: RegExp }[] = [
  { host: 'postfix-sendgrid', pattern: /\bqueued as ([A-Za-z0-9][A-Za-z0-9_-]{2,99})/i },
  { host: 'exchange', pattern: /\[InternalId=(\d{1,30})\b/i },
  { host: 'exim', pattern: /^250[ -](?:2\.\d{1,3}\.\d{1,3} )?OK id=([A-Za-z0-9-]{6,40})\b/i },
  { host: 'ses', pattern: /^250[ -]Ok ([0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-\d{6})\b/i },
];

/** The upstream's id for the message in an accepted reply, or undefined. */
export function upstreamIdFromReply(reply: string | undefined): string | undefined {
  if (!reply || !reply.startsWith('250')) return undefined;
  for (const rule of UPSTREAM_ID_RULES) {
    const match = rule.pattern.exec(reply);
    if (match) return match[1];
  }
  return undefined;
}

/**
 * SendGrid's sg_message_id is the id from its 250 reply followed by a dot and its filter's suffix
 * ("nhIMmON9SFOPcT0ii4nt2A.filterdrecv-...-0"): the part before the first dot is what was kept.
 */
export function sendGridUpstreamId(sgMessageId: string): string {
  const dot = sgMessageId.indexOf('.');
  return dot > 0 ? sgMessageId.slice(0, dot) : sgMessageId;
}
