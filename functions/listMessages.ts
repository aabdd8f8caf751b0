import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { listMessages } from '../src/relay/listMessages';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function listMessagePage(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return { status: 200, jsonBody: await listMessages(deps, [...request.query.entries()]) };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('listMessages', { methods: ['GET'], route: 'api/v1/messages', authLevel: 'admin', handler: listMessagePage });
