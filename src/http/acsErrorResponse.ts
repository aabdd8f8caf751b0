// The ACS Email drop-in's errors in ACS's own shape, {"error": {"code", "message", "details"}} with
// x-ms-error-code, so that @azure/communication-email raises its usual RestError. The relay's named
// errors (src/errors.ts) decide the status, as everywhere; this table only names them as ACS does.
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { type ProblemCode, problemFor, RelayError } from '../errors';
import { problemResponse } from './problemResponse';

const ACS_CODES: Record<ProblemCode, string> = {
  'invalid-request': 'BadRequest',
  unauthorized: 'Denied',
  'sender-not-allowed': 'DomainNotLinked',
  'not-found': 'NotFound',
  'idempotency-conflict': 'Conflict',
  'payload-too-large': 'RequestEntityTooLarge',
  'unsupported-media-type': 'UnsupportedMediaType',
  unprocessable: 'UnprocessableEntity',
  'storage-unavailable': 'ServiceUnavailable',
  'not-configured': 'ServiceUnavailable',
  'internal-error': 'InternalServerError',
};

export function acsErrorResponse(err: unknown, context: InvocationContext): HttpResponseInit {
  problemResponse(err, context); // logged as every other endpoint logs its errors; only the body differs
  const problem = problemFor(err);
  const relayCode: ProblemCode = err instanceof RelayError ? err.code : 'internal-error';
  const apiVersion = problem.errors.length === 1 && problem.errors[0]?.field === 'api-version';
  const code = apiVersion ? 'UnsupportedApiVersion' : ACS_CODES[relayCode];
  const details = problem.errors.map((e) => ({ code: 'InvalidField', target: e.field, message: e.message }));
  return {
    status: problem.status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'x-ms-error-code': code,
      ...(problem.status === 503 ? { 'Retry-After': '30' } : {}),
    },
    jsonBody: { error: { code, message: problem.detail, ...(details.length > 0 ? { details } : {}) } },
  };
}
