import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { checkOneClickBodyLength, unsubscribe } from '../src/relay/unsubscribe';
import { unsubscribedPage, unsubscribeErrorResponse } from '../src/http/unsubscribePage';

const deps = relayDeps();

/**
 * POST of a List-Unsubscribe link, by a mail client (RFC 8058: `List-Unsubscribe=One-Click`, form-encoded
 * or multipart) or by the button of the GET page. The signed token decides; the body is not required,
 * as clients differ in what they send.
 */
export async function unsubscribeOneClick(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    checkOneClickBodyLength(Number(request.headers.get('content-length') ?? 0));
    checkOneClickBodyLength((await request.arrayBuffer()).byteLength);
    const { link } = await unsubscribe(deps, request.params.token ?? '', context);
    return unsubscribedPage(link);
  } catch (err) {
    return unsubscribeErrorResponse(err, request, context);
  }
}

// anonymous: RFC 8058 forbids the client to send credentials; the signed token is the credential
app.http('unsubscribeOneClick', { methods: ['POST'], route: 'api/v1/unsubscribe/{token}', authLevel: 'anonymous', handler: unsubscribeOneClick });
