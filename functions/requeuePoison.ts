import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { requeuePoison } from '../src/relay/poison';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function requeuePoisonTasks(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const body = Buffer.from(await request.arrayBuffer());
    const answer = await requeuePoison(deps, [...request.query.entries()], { contentType: request.headers.get('content-type'), body }, context);
    return { status: 200, jsonBody: answer };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('requeuePoison', { methods: ['POST'], route: 'api/v1/poison/requeue', authLevel: 'admin', handler: requeuePoisonTasks });
