// The ACS Email drop-in: POST /emails:send and GET /emails/operations/{id}, for apps written against
// @azure/communication-email. A send is authenticated as ACS authenticates (src/core/acsSignature.ts),
// its EmailMessage becomes the relay's own send request and goes through acceptMessage like any other;
// the operation is the relay's message, its status read from the message's rows.
import { acsFieldName, checkApiVersion, type EmailSendResult, OPERATION_ID, operationResult, pollAfterSeconds, toRelayRequest } from '../core/acsEmail';
import { verifyAcsSignature } from '../core/acsSignature';
import { MESSAGE_ID_PATTERN } from '../core/ids';
import { parseJsonBody } from '../core/jsonBody';
import { NotConfiguredError, NotFoundError, orStorageUnavailable, PayloadTooLargeError, UnauthorizedError, ValidationError } from '../errors';
import { acceptMessage, checkContentType } from './acceptMessage';
import type { RelayDeps, RelayLog } from './deps';

/** An HTTP request as the drop-in reads it. */
export interface AcsHttpRequest {
  method: string;
  /** absolute, as received */
  url: string;
  header(name: string): string | null;
  body: Buffer;
}

export interface AcsAnswer {
  result: EmailSendResult;
  /** where the client polls the operation */
  operationLocation: string;
  retryAfterSeconds: number;
}

// Operation-Id keys live beside the relay's own Idempotency-Keys: a prefix keeps the two apart.
const OPERATION_KEY_PREFIX = 'acs-operation:';

export async function sendAcsEmail(deps: RelayDeps, request: AcsHttpRequest, log: RelayLog): Promise<AcsAnswer> {
  const apiVersion = authenticate(deps, request);
  if (request.body.length > deps.config.maxMessageBytes) {
    throw new PayloadTooLargeError(
      `The request body is ${request.body.length} bytes; at most ${deps.config.maxMessageBytes} (RELAY_MAX_MESSAGE_BYTES) are accepted`,
    );
  }
  checkContentType(request.header('content-type'));
  const operationId = request.header('operation-id');
  if (operationId !== null && !OPERATION_ID.test(operationId)) throw new ValidationError([{ field: 'Operation-Id', message: 'must be a UUID' }]);
  const parsed = parseJsonBody(request.body);
  if (!parsed.ok) throw new ValidationError(parsed.errors);
  const mapped = toRelayRequest(parsed.value);
  if (!mapped.ok) throw new ValidationError(mapped.errors);
  const input = {
    contentType: 'application/json',
    body: Buffer.from(JSON.stringify(mapped.value)),
    idempotencyKey: operationId === null ? null : `${OPERATION_KEY_PREFIX}${operationId.toLowerCase()}`,
  };
  const { answer } = await acceptMessage(deps, input, log).catch((err: unknown) => {
    if (err instanceof ValidationError) throw new ValidationError(err.errors.map((e) => ({ ...e, field: acsFieldName(e.field) })));
    throw err;
  });
  // The relay's message id is the operation's: GET /api/v1/messages/{id} shows the same message.
  return { result: { id: answer.id, status: 'Running' }, operationLocation: operationUrl(request, answer.id, apiVersion), retryAfterSeconds: 1 };
}

export async function getAcsOperation(deps: RelayDeps, request: AcsHttpRequest, id: string): Promise<Omit<AcsAnswer, 'operationLocation'>> {
  authenticate(deps, request);
  const rows = MESSAGE_ID_PATTERN.test(id)
    ? await orStorageUnavailable(() => deps.deliveries.listMessage(id), 'Storage did not answer, so the operation cannot be read now. Retry later.')
    : [];
  if (rows.length === 0) throw new NotFoundError(`No email operation with id "${id.slice(0, 80)}"`);
  const recipients = rows.map((r) => ({ address: r.address, status: r.status, response: r.response, nextAttemptAt: r.nextAttemptAt }));
  return { result: operationResult(id, recipients), retryAfterSeconds: pollAfterSeconds(recipients, deps.now()) };
}

/** Checks the key is set, the signature and the api-version; returns the api-version. */
function authenticate(deps: RelayDeps, request: AcsHttpRequest): string {
  const key = deps.config.dropIns.acsAccessKey;
  if (!key) throw new NotConfiguredError('RELAY_ACS_ACCESS_KEY is not set: ACS Email requests cannot be authenticated, so none are accepted');
  const verdict = verifyAcsSignature(
    {
      method: request.method,
      url: request.url,
      host: request.header('host'),
      date: request.header('x-ms-date'),
      contentHash: request.header('x-ms-content-sha256'),
      authorization: request.header('authorization'),
      body: request.body,
    },
    key,
    deps.now(),
  );
  if (!verdict.ok) throw new UnauthorizedError(`ACS Email: ${verdict.reason}`);
  const apiVersion = new URL(request.url).searchParams.get('api-version');
  const problem = checkApiVersion(apiVersion);
  if (problem) throw new ValidationError([{ field: 'api-version', message: problem }]);
  return apiVersion as string;
}

/** The poll URL at the scheme and host the client reached, which is what it signs its polls for. */
function operationUrl(request: AcsHttpRequest, id: string, apiVersion: string): string {
  const url = new URL(request.url);
  const forwarded = request.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  const scheme = forwarded === 'https' || forwarded === 'http' ? forwarded : url.protocol.replace(/:$/, '');
  const host = request.header('host') ?? url.host;
  return `${scheme}://${host}/emails/operations/${id}?api-version=${encodeURIComponent(apiVersion)}`;
}
