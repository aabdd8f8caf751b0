import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { resumeSenderDomain } from '../src/relay/senders';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function resumeSender(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return { status: 200, jsonBody: await resumeSenderDomain(deps, request.params.domain ?? '', context) };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('resumeSender', { methods: ['POST'], route: 'api/v1/senders/{domain}/resume', authLevel: 'admin', handler: resumeSender });
