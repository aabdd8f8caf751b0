import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { acsAllowedOrigin, receiveAcsEvents } from '../src/relay/receiveUpstreamEvents';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

// authLevel anonymous: Event Grid sends no function key; the secret in a static delivery header or in
// the URL's query is the authentication (Entra ID-protected delivery is the stronger option in Azure).
export async function receiveAcsEventsHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    if (request.method === 'OPTIONS') {
      // CloudEvents 1.0 abuse protection: Event Grid asks before it delivers in that schema.
      const origin = acsAllowedOrigin(deps, request.headers.get('webhook-request-origin'));
      return { status: 200, headers: { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*' } };
    }
    const body = Buffer.from(await request.arrayBuffer());
    const secret = request.headers.get('x-relay-events-secret') ?? request.query.get('secret');
    return { status: 200, jsonBody: await receiveAcsEvents(deps, { body, secret }, context) };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('receiveAcsEvents', { methods: ['POST', 'OPTIONS'], route: 'api/v1/events/acs', authLevel: 'anonymous', handler: receiveAcsEventsHttp });
