import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { getAcsOperation } from '../src/relay/acsEmail';
import { acsErrorResponse } from '../src/http/acsErrorResponse';

const deps = relayDeps();

// authLevel anonymous: signed with the ACS access key, as sendAcsEmail is.
export async function getAcsEmailOperationHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const body = Buffer.from(await request.arrayBuffer());
    const header = (name: string) => request.headers.get(name);
    const answer = await getAcsOperation(deps, { method: request.method, url: request.url, header, body }, request.params.id ?? '');
    const running = answer.result.status === 'Running';
    return { status: 200, headers: running ? { 'retry-after': String(answer.retryAfterSeconds) } : {}, jsonBody: answer.result };
  } catch (err) {
    return acsErrorResponse(err, context);
  }
}

app.http('getAcsEmailOperation', { methods: ['GET'], route: 'emails/operations/{id}', authLevel: 'anonymous', handler: getAcsEmailOperationHttp });
