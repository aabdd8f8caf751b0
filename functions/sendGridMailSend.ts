import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { acceptSendGridMail } from '../src/relay/acceptSendGrid';
import { sendGridErrorResponse } from '../src/http/sendGridResponse';

const deps = relayDeps();

/** Several personalizations are several messages: X-Message-Id is the first, X-Relay-Message-Ids all of them in order. */
export async function sendGridMailSend(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const body = Buffer.from(await request.arrayBuffer());
    const input = { authorization: request.headers.get('authorization'), contentType: request.headers.get('content-type'), body };
    const { sandbox, ids } = await acceptSendGridMail(deps, input, context);
    // SendGrid answers a sandbox request 200 with an empty body, a queued one 202
    if (sandbox) return { status: 200 };
    return { status: 202, headers: { 'X-Message-Id': ids[0] ?? '', 'X-Relay-Message-Ids': ids.join(',') } };
  } catch (err) {
    return sendGridErrorResponse(err, context);
  }
}

// authLevel anonymous: SendGrid clients send their key as a Bearer token, which the use-case checks.
app.http('sendGridMailSend', { methods: ['POST'], route: 'api/sendgrid/v3/mail/send', authLevel: 'anonymous', handler: sendGridMailSend });
