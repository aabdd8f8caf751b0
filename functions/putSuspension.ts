import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { putSuspension } from '../src/relay/suspensionList';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function putSuspensionEntry(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const body = Buffer.from(await request.arrayBuffer());
    const { created, suspension } = await putSuspension(
      deps,
      { kind: request.params.kind ?? '', name: request.params.name ?? '' },
      [...request.query.entries()],
      { contentType: request.headers.get('content-type'), body },
      context,
    );
    return { status: created ? 201 : 200, jsonBody: suspension };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('putSuspension', { methods: ['PUT'], route: 'api/v1/suspensions/{kind}/{name}', authLevel: 'admin', handler: putSuspensionEntry });
