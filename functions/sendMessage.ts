import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { acceptMessage } from '../src/relay/acceptMessage';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function sendMessage(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const body = Buffer.from(await request.arrayBuffer());
    const { answer, replayed } = await acceptMessage(
      deps,
      { contentType: request.headers.get('content-type'), body, idempotencyKey: request.headers.get('idempotency-key') },
      context,
    );
    return {
      status: 202,
      headers: { Location: `/api/v1/messages/${answer.id}`, ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) },
      jsonBody: answer,
    };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('sendMessage', { methods: ['POST'], route: 'api/v1/messages', authLevel: 'function', handler: sendMessage });
