import { app, type HttpResponseInit } from '@azure/functions';
import { openApiJson } from '../src/http/openApi';

// No key: the description of the API is public, as the contract says; it holds no setting or secret.
export function getOpenApi(): HttpResponseInit {
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' }, body: openApiJson() };
}

app.http('getOpenApi', { methods: ['GET'], route: 'api/v1/openapi.json', authLevel: 'anonymous', handler: getOpenApi });
