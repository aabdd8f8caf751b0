import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { listSuppressions } from '../src/relay/suppressionList';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function listSuppressionEntries(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return { status: 200, jsonBody: await listSuppressions(deps, [...request.query.entries()]) };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('listSuppressions', { methods: ['GET'], route: 'api/v1/suppressions', authLevel: 'admin', handler: listSuppressionEntries });
