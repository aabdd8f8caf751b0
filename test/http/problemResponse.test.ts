import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvocationContext } from '@azure/functions';
import { problemResponse } from '../../src/http/problemResponse';
import { ValidationError } from '../../src/errors';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

function capture(): { context: InvocationContext; lines: string[] } {
  const lines: string[] = [];
  const context = new InvocationContext({ logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')) });
  return { context, lines };
}

test('a refusal is problem+json with the status in the body', FILE_TIMEOUT, () => {
  const { context } = capture();
  const response = problemResponse(new ValidationError([{ field: 'subject', message: 'must be a string' }]), context);
  assert.equal(response.status, 400);
  assert.deepEqual(response.headers, { 'Content-Type': 'application/problem+json' });
  assert.deepEqual(response.jsonBody, {
    type: 'urn:azure-smtp-relay:problem:invalid-request',
    title: 'The request is not valid',
    status: 400,
    detail: 'subject: must be a string',
    errors: [{ field: 'subject', message: 'must be a string' }],
  });
});

test('the log line of a refusal stays one line whatever the caller named a field', FILE_TIMEOUT, () => {
  const { context, lines } = capture();
  problemResponse(new ValidationError([{ field: 'x\r\n2026-01-01T00:00:00Z error [host] forged', message: 'unknown field' }]), context);
  assert.equal(lines.length, 1);
  assert.doesNotMatch(lines[0], /[\r\n]/);
  assert.match(lines[0], /refused 400: x\\u000d\\u000a2026-01-01T00:00:00Z error \[host\] forged: unknown field/);
});
