// The SendGrid v3 Mail Send drop-in: an app written for SendGrid sends through the relay by changing
// its client's base URL. Each personalization becomes its own message through the same accept as
// POST /api/v1/messages (prepareAccept, commitAccept): every personalization is checked before any
// is written, so a refusal queues nothing; only a storage failure while writing can leave some queued
// and others not, and the answer then names which.
import { sameSecret } from '../core/webhookAuth';
import { mapSendGridMail } from '../core/sendGridMail';
import { parseJsonBody } from '../core/jsonBody';
import { NotConfiguredError, PayloadTooLargeError, StorageUnavailableError, UnauthorizedError, ValidationError } from '../errors';
import { checkContentType, commitAccept, prepareAccept } from './acceptMessage';
import type { RelayDeps, RelayLog } from './deps';

export interface SendGridInput {
  authorization: string | null;
  contentType: string | null;
  body: Buffer;
}

export interface SendGridAnswer {
  /** sandbox mode: checked, nothing queued */
  sandbox: boolean;
  /** one message per personalization, in their order */
  ids: string[];
}

export async function acceptSendGridMail(deps: RelayDeps, input: SendGridInput, log: RelayLog): Promise<SendGridAnswer> {
  const { config } = deps;
  const key = config.dropIns.sendgridApiKey;
  if (!key) throw new NotConfiguredError('RELAY_SENDGRID_API_KEY is not set: the SendGrid drop-in endpoint is off');
  const bearer = /^Bearer +(\S+) *$/i.exec(input.authorization ?? '')?.[1];
  if (!sameSecret(bearer, key)) throw new UnauthorizedError('The provided authorization grant is invalid, expired, or revoked');
  if (input.body.length > config.maxMessageBytes) {
    throw new PayloadTooLargeError(`The request body is ${input.body.length} bytes; at most ${config.maxMessageBytes} (RELAY_MAX_MESSAGE_BYTES) are accepted`);
  }
  checkContentType(input.contentType);
  const parsed = parseJsonBody(input.body);
  if (!parsed.ok) throw new ValidationError(parsed.errors);
  const now = deps.now();
  const mapped = mapSendGridMail(parsed.value, { maxRecipients: config.maxRecipients }, now);
  if (!mapped.ok) throw new ValidationError(mapped.errors);
  const { messages, sandbox } = mapped.value;

  const prepared = await Promise.all(messages.map((m) => prepareAccept(deps, m.request, now, m.notBefore)));
  const ids = prepared.map((p) => p.id);
  if (sandbox) {
    log.log(`SendGrid sandbox mode: ${ids.length} message(s) valid, nothing queued`);
    return { sandbox, ids };
  }
  const written = await Promise.allSettled(prepared.map((p) => commitAccept(deps, p, log)));
  const failed = written.flatMap((w, n) => (w.status === 'rejected' ? [n] : []));
  if (failed.length > 0) {
    const queued = ids.filter((_, n) => !failed.includes(n));
    const cause: unknown = written.find((w): w is PromiseRejectedResult => w.status === 'rejected')?.reason;
    const kept = queued.length > 0 ? `; personalizations ${listed(ids, failed, false)} were queued (${queued.join(', ')}) and are sent` : '';
    throw new StorageUnavailableError(
      `Storage did not accept personalizations ${listed(ids, failed, true)}; nothing of them was queued${kept}. Retry only those.`,
      cause,
    );
  }
  log.log(`SendGrid mail send: ${ids.length} message(s) queued (${ids.join(', ')})`);
  return { sandbox, ids };
}

function listed(ids: readonly string[], failed: readonly number[], wanted: boolean): string {
  return ids.flatMap((_, n) => (failed.includes(n) === wanted ? [String(n)] : [])).join(', ');
}
