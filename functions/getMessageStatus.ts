import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { getMessageView } from '../src/relay/messageStatus';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function getMessageStatus(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return { status: 200, jsonBody: await getMessageView(deps, request.params.id ?? '') };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('getMessageStatus', { methods: ['GET'], route: 'api/v1/messages/{id}', authLevel: 'function', handler: getMessageStatus });
