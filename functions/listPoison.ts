import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { listPoison } from '../src/relay/poison';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function listPoisonTasks(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return { status: 200, jsonBody: await listPoison(deps, [...request.query.entries()]) };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('listPoison', { methods: ['GET'], route: 'api/v1/poison', authLevel: 'admin', handler: listPoisonTasks });
