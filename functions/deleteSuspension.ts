import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { liftSuspension } from '../src/relay/suspensionList';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function deleteSuspensionEntry(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    await liftSuspension(deps, { kind: request.params.kind ?? '', name: request.params.name ?? '' }, [...request.query.entries()], context);
    return { status: 204 };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('deleteSuspension', { methods: ['DELETE'], route: 'api/v1/suspensions/{kind}/{name}', authLevel: 'admin', handler: deleteSuspensionEntry });
