import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { getSenderView } from '../src/relay/senders';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function getSenderStatus(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return { status: 200, jsonBody: await getSenderView(deps, request.params.domain ?? '') };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('getSenderStatus', { methods: ['GET'], route: 'api/v1/senders/{domain}', authLevel: 'admin', handler: getSenderStatus });
