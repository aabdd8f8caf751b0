import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { getSuppression } from '../src/relay/suppressionList';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function getSuppressionEntry(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return { status: 200, jsonBody: await getSuppression(deps, request.params.address ?? '', [...request.query.entries()]) };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('getSuppression', { methods: ['GET'], route: 'api/v1/suppressions/{address}', authLevel: 'admin', handler: getSuppressionEntry });
