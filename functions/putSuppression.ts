import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { putSuppression } from '../src/relay/suppressionList';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function putSuppressionEntry(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const body = Buffer.from(await request.arrayBuffer());
    const { created, entry } = await putSuppression(
      deps,
      request.params.address ?? '',
      [...request.query.entries()],
      { contentType: request.headers.get('content-type'), body },
      context,
    );
    return { status: created ? 201 : 200, jsonBody: entry };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('putSuppression', { methods: ['PUT'], route: 'api/v1/suppressions/{address}', authLevel: 'admin', handler: putSuppressionEntry });
