import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { type AcsHttpRequest, sendAcsEmail } from '../src/relay/acsEmail';
import { acsErrorResponse } from '../src/http/acsErrorResponse';

const deps = relayDeps();

async function acsRequest(request: HttpRequest): Promise<AcsHttpRequest> {
  return {
    method: request.method,
    url: request.url,
    header: (name) => request.headers.get(name),
    body: Buffer.from(await request.arrayBuffer()),
  };
}

// authLevel anonymous: the ACS client sends no function key; its HMAC signature with the access key
// (RELAY_ACS_ACCESS_KEY) is the authentication. At the app's root, as the client allows no path.
export async function sendAcsEmailHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const answer = await sendAcsEmail(deps, await acsRequest(request), context);
    return {
      status: 202,
      headers: { 'Operation-Location': answer.operationLocation, 'retry-after': String(answer.retryAfterSeconds) },
      jsonBody: answer.result,
    };
  } catch (err) {
    return acsErrorResponse(err, context);
  }
}

app.http('sendAcsEmail', { methods: ['POST'], route: 'emails:send', authLevel: 'anonymous', handler: sendAcsEmailHttp });
