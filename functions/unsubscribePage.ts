import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { readUnsubscribeLink } from '../src/relay/unsubscribe';
import { confirmPage, unsubscribeErrorResponse } from '../src/http/unsubscribePage';

const deps = relayDeps();

/** GET of a List-Unsubscribe link: a page with a button, and no change (link scanners follow GETs). */
export function unsubscribePage(request: HttpRequest, context: InvocationContext): HttpResponseInit {
  try {
    return confirmPage(readUnsubscribeLink(deps, request.params.token ?? '', context));
  } catch (err) {
    return unsubscribeErrorResponse(err, request, context);
  }
}

// anonymous: mail clients and recipients open it; the signed token is the credential
app.http('unsubscribePage', { methods: ['GET'], route: 'api/v1/unsubscribe/{token}', authLevel: 'anonymous', handler: unsubscribePage });
