import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { deleteSuppression } from '../src/relay/suppressionList';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function deleteSuppressionEntry(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    await deleteSuppression(deps, request.params.address ?? '', [...request.query.entries()], context);
    return { status: 204 };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('deleteSuppression', { methods: ['DELETE'], route: 'api/v1/suppressions/{address}', authLevel: 'admin', handler: deleteSuppressionEntry });
