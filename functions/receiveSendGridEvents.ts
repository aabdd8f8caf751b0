import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { receiveSendGridEvents } from '../src/relay/receiveUpstreamEvents';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

// authLevel anonymous: SendGrid cannot send a function key; the ECDSA signature is the authentication.
export async function receiveSendGridEventsHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const body = Buffer.from(await request.arrayBuffer());
    const answer = await receiveSendGridEvents(
      deps,
      {
        body,
        signature: request.headers.get('x-twilio-email-event-webhook-signature'),
        timestamp: request.headers.get('x-twilio-email-event-webhook-timestamp'),
      },
      context,
    );
    return { status: 200, jsonBody: answer };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('receiveSendGridEvents', { methods: ['POST'], route: 'api/v1/events/sendgrid', authLevel: 'anonymous', handler: receiveSendGridEventsHttp });
