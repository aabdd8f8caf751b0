// The relay's errors: a few named types, each with one HTTP status, and one function that turns any
// of them (or anything else thrown) into an RFC 9457 problem+json answer.

export interface FieldError {
  /** JSON path of the offending field, e.g. "to[2].address" or "headers.X-Custom" */
  field: string;
  message: string;
}

export type ProblemCode =
  | 'invalid-request'
  | 'unauthorized'
  | 'sender-not-allowed'
  | 'not-found'
  | 'idempotency-conflict'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'unprocessable'
  | 'storage-unavailable'
  | 'not-configured'
  | 'internal-error';

export abstract class RelayError extends Error {
  abstract readonly code: ProblemCode;
  abstract readonly status: number;
  abstract readonly title: string;
  readonly errors: readonly FieldError[];
  constructor(detail: string, errors: readonly FieldError[] = []) {
    super(detail);
    this.errors = errors;
  }
}

export class ValidationError extends RelayError {
  override readonly name = 'ValidationError';
  readonly code = 'invalid-request';
  readonly status = 400;
  readonly title = 'The request is not valid';
  constructor(errors: readonly FieldError[]) {
    super(summarizeFieldErrors(errors), errors);
  }
}

function summarizeFieldErrors(errors: readonly FieldError[]): string {
  const [only] = errors;
  return errors.length === 1 && only ? `${only.field}: ${only.message}` : `${errors.length} fields are not valid: ${errors.map((e) => e.field).join(', ')}`;
}

/** A caller the relay authenticates itself (a webhook's signature or secret) did not prove who it is. */
export class UnauthorizedError extends RelayError {
  override readonly name = 'UnauthorizedError';
  readonly code = 'unauthorized';
  readonly status = 401;
  readonly title = 'The request is not authenticated';
}

export class SenderNotAllowedError extends RelayError {
  override readonly name = 'SenderNotAllowedError';
  readonly code = 'sender-not-allowed';
  readonly status = 403;
  readonly title = 'The sender domain is not allowed';
  constructor(domain: string) {
    super(`The domain "${domain}" is not in RELAY_ALLOWED_SENDER_DOMAINS`, [
      { field: 'from', message: `domain "${domain}" is not allowed to send through this relay` },
    ]);
  }
}

export class NotFoundError extends RelayError {
  override readonly name = 'NotFoundError';
  readonly code = 'not-found';
  readonly status = 404;
  readonly title = 'Not found';
}

export class IdempotencyConflictError extends RelayError {
  override readonly name = 'IdempotencyConflictError';
  readonly code = 'idempotency-conflict';
  readonly status = 409;
  readonly title = 'Idempotency-Key conflict';
}

export class PayloadTooLargeError extends RelayError {
  override readonly name = 'PayloadTooLargeError';
  readonly code = 'payload-too-large';
  readonly status = 413;
  readonly title = 'The message is too large';
}

export class UnsupportedMediaTypeError extends RelayError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly code = 'unsupported-media-type';
  readonly status = 415;
  readonly title: string;
  /** `title` names what the endpoint takes: JSON for the send API, a mail message for the DSN upload */
  constructor(detail: string, title = 'The body must be JSON') {
    super(detail);
    this.title = title;
  }
}

/** Well formed, but not something the endpoint can act on (a message that is no delivery report). */
export class UnprocessableError extends RelayError {
  override readonly name = 'UnprocessableError';
  readonly code = 'unprocessable';
  readonly status = 422;
  readonly title = 'The content cannot be processed';
}

/** Storage could not be reached or refused the write; whatever was written has been undone. */
export class StorageUnavailableError extends RelayError {
  override readonly name = 'StorageUnavailableError';
  readonly code = 'storage-unavailable';
  readonly status = 503;
  readonly title = 'Storage is unavailable';
  constructor(detail: string, cause?: unknown) {
    super(detail);
    this.cause = cause;
  }
}

/** The endpoint needs a setting this deployment has not set; nothing was read or changed. */
export class NotConfiguredError extends RelayError {
  override readonly name = 'NotConfiguredError';
  readonly code = 'not-configured';
  readonly status = 503;
  readonly title = 'This endpoint is not configured';
}

/**
 * Runs a storage call for a use-case: a RelayError passes through, anything else means storage failed
 * and becomes StorageUnavailableError (503, Retry-After) with `detail`, the cause kept for the log.
 */
export async function orStorageUnavailable<T>(action: () => Promise<T>, detail: string): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof RelayError) throw err;
    throw new StorageUnavailableError(detail, err);
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: FieldError[];
}

const PROBLEM_TYPE_BASE = 'urn:azure-smtp-relay:problem:';

export function problemFor(err: unknown): Problem {
  if (err instanceof RelayError) {
    return {
      type: PROBLEM_TYPE_BASE + err.code,
      title: err.title,
      status: err.status,
      detail: err.message,
      errors: [...err.errors],
    };
  }
  // Anything else is a bug: say so without leaking internals (they go to the log instead).
  return {
    type: PROBLEM_TYPE_BASE + 'internal-error',
    title: 'Internal error',
    status: 500,
    detail: 'The relay failed to handle the request; the error has been logged.',
    errors: [],
  };
}

/** `value` if it is an Error, else an Error that says what was thrown instead (a promise may reject with anything). */
export function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  const shown = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? Object.prototype.toString.call(value) : String(value);
  return new Error(`a non-Error value was thrown: ${shown}`);
}

/** One line for a log: the error's name, status or code, and the first line of its message. */
export function summarizeError(err: unknown): string {
  if (err instanceof Error) {
    const { statusCode, code } = err as { code?: unknown; statusCode?: unknown };
    const shown = [statusCode, code].find((c): c is string | number => typeof c === 'string' || typeof c === 'number');
    return shown !== undefined ? `${err.name} ${shown}: ${err.message.split('\n')[0]}` : `${err.name}: ${err.message.split('\n')[0]}`;
  }
  return String(err);
}
