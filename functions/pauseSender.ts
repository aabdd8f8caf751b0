import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { pauseSenderDomain } from '../src/relay/senders';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function pauseSender(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const body = Buffer.from(await request.arrayBuffer());
    return {
      status: 200,
      jsonBody: await pauseSenderDomain(deps, request.params.domain ?? '', { contentType: request.headers.get('content-type'), body }, context),
    };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('pauseSender', { methods: ['POST'], route: 'api/v1/senders/{domain}/pause', authLevel: 'admin', handler: pauseSender });
