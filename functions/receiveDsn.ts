import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { relayDeps } from '../src/runtime';
import { checkDeliveryReportRequest, receiveDeliveryReport } from '../src/relay/receiveDeliveryReport';
import { problemResponse } from '../src/http/problemResponse';

const deps = relayDeps();

export async function receiveDsn(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const contentType = request.headers.get('content-type');
    const length = request.headers.get('content-length');
    const declaredLength = length === null ? undefined : Number(length);
    // a body that cannot be a DSN upload is refused before it is read
    checkDeliveryReportRequest(contentType, declaredLength);
    const body = Buffer.from(await request.arrayBuffer());
    return { status: 200, jsonBody: await receiveDeliveryReport(deps, { contentType, declaredLength, body }, context) };
  } catch (err) {
    return problemResponse(err, context);
  }
}

app.http('receiveDsn', { methods: ['POST'], route: 'api/v1/events/dsn', authLevel: 'admin', handler: receiveDsn });
