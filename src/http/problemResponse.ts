// The one way an HTTP function answers with an error: RFC 9457 problem+json.
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { problemFor, RelayError, summarizeError } from '../errors';

export function problemResponse(err: unknown, context: InvocationContext): HttpResponseInit {
  const problem = problemFor(err);
  if (!(err instanceof RelayError)) {
    context.error(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } else if (problem.status >= 500) {
    context.warn(`${problem.title}: ${err.cause ? summarizeError(err.cause) : problem.detail}`);
  } else {
    context.log(`refused ${problem.status}: ${oneLine(problem.detail.slice(0, 300))}`);
  }
  return {
    status: problem.status,
    headers: { 'Content-Type': 'application/problem+json', ...(problem.status === 503 ? { 'Retry-After': '30' } : {}) },
    jsonBody: problem,
  };
}

/** The detail names the caller's fields, and a field name may hold CR or LF: keep it to one log line. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
