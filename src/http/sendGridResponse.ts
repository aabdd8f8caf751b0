// Errors of the SendGrid drop-in in SendGrid's own shape, {"errors": [{"message", "field", "help"}]},
// so that a SendGrid client reports them as it would SendGrid's. The status, the log line and the
// field list are problemResponse's: only the body's shape differs.
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Problem } from '../errors';
import { problemResponse } from './problemResponse';

export interface SendGridError {
  message: string;
  field: string | null;
  help: string | null;
}

export function sendGridErrorResponse(err: unknown, context: InvocationContext): HttpResponseInit {
  const answer = problemResponse(err, context);
  const problem = answer.jsonBody as Problem;
  const errors: SendGridError[] =
    problem.errors.length > 0
      ? problem.errors.map((e) => ({ message: e.message, field: e.field, help: null }))
      : [{ message: problem.detail, field: null, help: null }];
  const retryAfter = (answer.headers as Record<string, string>)['Retry-After'];
  return {
    status: answer.status,
    headers: { 'Content-Type': 'application/json', ...(retryAfter ? { 'Retry-After': retryAfter } : {}) },
    jsonBody: { errors },
  };
}
