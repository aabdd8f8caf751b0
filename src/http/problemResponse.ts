// The one way an HTTP function answers with an error: RFC 9457 problem+json.
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { problemFor, RelayError, summarizeError } from '../errors';

export function problemResponse(err: unknown, context: InvocationContext): HttpResponseInit {
  const problem = problemFor(err);
  if (!(err instanceof RelayError)) {
    context.error(`unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  } else if (problem.status >= 500) {
    context.warn(`${problem.title}: ${err.cause ? summarizeError(err.cause) : problem.detail}`);
  } else {
    context.log(`refused ${problem.status}: ${problem.detail.slice(0, 300)}`);
  }
  return {
    status: problem.status,
    headers: { 'Content-Type': 'application/problem+json', ...(problem.status === 503 ? { 'Retry-After': '30' } : {}) },
    jsonBody: problem,
  };
}
