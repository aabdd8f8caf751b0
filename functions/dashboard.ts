import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { dashboardResponse } from '../src/http/dashboardPage';

export function dashboard(request: HttpRequest): Promise<HttpResponseInit> {
  return Promise.resolve(
    dashboardResponse({
      query: request.query.get('lang'),
      cookie: request.headers.get('cookie'),
      acceptLanguage: request.headers.get('accept-language'),
    }),
  );
}

// admin: the master key opens it, in x-functions-key or as ?code= (which the page passes on to its API calls)
app.http('dashboard', { methods: ['GET'], route: 'api/dashboard', authLevel: 'admin', handler: dashboard });
