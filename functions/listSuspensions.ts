import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { listSuspensions } from '../src/relay/suspensionList';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function listSuspensionEntries(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return { status: 200, jsonBody: await listSuspensions(deps, [...request.query.entries()]) };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('listSuspensions', { methods: ['GET'], route: 'api/v1/suspensions', authLevel: 'admin', handler: listSuspensionEntries });
