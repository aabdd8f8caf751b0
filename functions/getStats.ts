import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { deliveryStats } from '../src/relay/deliveryStats';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function getStats(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return { status: 200, headers: { 'Cache-Control': 'no-store' }, jsonBody: await deliveryStats(deps, [...request.query.entries()]) };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('getStats', { methods: ['GET'], route: 'api/v1/stats', authLevel: 'admin', handler: getStats });
