// HTTP triggers: a node:http server that routes requests to `app.http(...)` registrations and passes
// each request to the function in the RPC shape the Functions host uses with the Node.js worker's
// capabilities (RawHttpBodyBytes, RpcHttpBodyOnly, UseNullableValueDictionaryForHttp).
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FunctionRegistry, RegisteredFunction, RpcHttpCookie, RpcHttpData, RpcNullableString, RpcTypedData } from './functionsCore';
import type { HostLogger } from './hostLog';
import { compareRoutePrecedence, matchRoute, parseRouteTemplate, type RouteTemplate } from './httpRoute';
import type { InFlightWork } from './inFlight';
import { invokeRegisteredFunction, outputOf, stringData, triggerBindingOf } from './invocation';

/** The Functions host rejects request bodies above 100 MiB (maxRequestBodySize). */
export const maxRequestBodyBytes = 100 * 1024 * 1024;

export type AuthLevel = 'anonymous' | 'function' | 'admin';

export interface HttpRoute {
  readonly fn: RegisteredFunction;
  readonly template: RouteTemplate;
  readonly methods: ReadonlySet<string>;
  readonly authLevel: AuthLevel;
  /** name of the http output binding whose value is the response ("$return" by default) */
  readonly responseBinding?: string;
}

/** Builds the route table from the registered HTTP functions; throws on a route the host would reject. */
export function buildHttpRoutes(functions: Iterable<RegisteredFunction>, routePrefix: string): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const fn of functions) {
    const trigger = triggerBindingOf(fn);
    if (trigger.type.toLowerCase() !== 'httptrigger') continue;
    const route = typeof trigger.options.route === 'string' && trigger.options.route.trim() !== '' ? trigger.options.route : fn.metadata.name;
    const prefix = routePrefix.replace(/^\/+|\/+$/g, '');
    const template = parseRouteTemplate(prefix ? `${prefix}/${route.replace(/^\/+/, '')}` : route);
    const declaredMethods = Array.isArray(trigger.options.methods) ? (trigger.options.methods as unknown[]) : ['GET', 'POST'];
    const authLevel = String(trigger.options.authLevel ?? 'function').toLowerCase();
    if (authLevel !== 'anonymous' && authLevel !== 'function' && authLevel !== 'admin') {
      throw new Error(`Function "${fn.metadata.name}" has authLevel "${authLevel}": it must be anonymous, function or admin`);
    }
    const responseBinding = Object.entries(fn.metadata.bindings).find(
      ([, b]) => b.direction === 'out' && b.type?.toLowerCase() === 'http',
    )?.[0];
    routes.push({
      fn,
      template,
      methods: new Set(declaredMethods.map((m) => String(m).toUpperCase())),
      authLevel,
      responseBinding,
    });
  }
  return routes.sort((a, b) => compareRoutePrecedence(a.template, b.template));
}

export interface HttpTriggerServerOptions {
  registry: FunctionRegistry;
  routes: readonly HttpRoute[];
  functionKey: string;
  logger: HostLogger;
  inFlight: InFlightWork;
  /** false once the host is stopping: requests on kept-alive connections then get 503 */
  accepting: () => boolean;
}

export function createHttpTriggerServer(options: HttpTriggerServerOptions): Server {
  const expectedKeyDigest = digest(options.functionKey);
  const isValidKey = (key: string | undefined) => key !== undefined && key !== '' && timingSafeEqual(digest(key), expectedKeyDigest);

  return createServer((req, res) => {
    if (!options.accepting()) {
      discardBody(req);
      res.setHeader('connection', 'close');
      return writeEmpty(res, 503);
    }
    const work = handleRequest(req, res, options, isValidKey).catch((error: unknown) => {
      options.logger.host('error', `Request handling failed: ${describeError(error)}`);
      if (!res.headersSent) writeEmpty(res, 500);
      else res.destroy();
    });
    options.inFlight.track(work);
  });
}

async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpTriggerServerOptions,
  isValidKey: (key: string | undefined) => boolean,
): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const method = (req.method ?? 'GET').toUpperCase();
  let route: HttpRoute | undefined;
  let params: Record<string, string> | undefined;
  for (const candidate of options.routes) {
    if (!candidate.methods.has(method)) continue;
    params = matchRoute(candidate.template, url.pathname);
    if (params) {
      route = candidate;
      break;
    }
  }
  if (!route || !params) {
    discardBody(req);
    return writeEmpty(res, 404);
  }

  if (route.authLevel !== 'anonymous') {
    const headerKey = req.headers['x-functions-key'];
    const key = (Array.isArray(headerKey) ? headerKey[0] : headerKey) ?? url.searchParams.get('code') ?? undefined;
    if (!isValidKey(key)) {
      discardBody(req);
      return writeEmpty(res, 401);
    }
  }

  const declaredLength = Number(req.headers['content-length'] ?? 0);
  if (declaredLength > maxRequestBodyBytes) return rejectTooLarge(req, res);
  let body: Buffer | 'too large';
  try {
    body = await readBody(req);
  } catch {
    // The client went away mid-body: nobody is left to answer, and the function must not run on half a body.
    options.logger.host('information', `${method} ${url.pathname}: the client closed the connection before sending the whole body`);
    return;
  }
  if (body === 'too large') return rejectTooLarge(req, res);

  const fn = route.fn;
  const invocationId = randomUUID();
  const started = Date.now();
  options.logger.core({ level: 'information', category: 'system', functionName: fn.metadata.name, invocationId, message: `Executing (Reason='This function was programmatically called via the host APIs.')` });
  let statusCode: number;
  try {
    const response = await invokeRegisteredFunction(
      options.registry,
      fn,
      { triggerData: { http: toRpcHttpRequest(req, url, method, params, body) }, triggerMetadata: routeMetadata(params) },
      invocationId,
    );
    const output = route.responseBinding ? outputOf(response, route.responseBinding) : undefined;
    statusCode = writeFunctionResponse(req, res, output);
    options.logger.core({ level: 'information', category: 'system', functionName: fn.metadata.name, invocationId, message: `Executed (Succeeded, Status=${statusCode}, Duration=${Date.now() - started}ms)` });
  } catch (error) {
    options.logger.core({ level: 'error', category: 'system', functionName: fn.metadata.name, invocationId, message: `Executed (Failed, Duration=${Date.now() - started}ms): ${describeError(error)}` });
    if (!res.headersSent) writeEmpty(res, 500);
    else res.destroy();
  }
}

function toRpcHttpRequest(req: IncomingMessage, url: URL, method: string, params: Record<string, string>, body: Buffer): RpcHttpData {
  const nullableHeaders: Record<string, RpcNullableString> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values) nullableHeaders[name.toLowerCase()] = { value: values.join(',') };
  }
  const query = new Map<string, string[]>();
  for (const [name, value] of url.searchParams) query.set(name, [...(query.get(name) ?? []), value]);
  const nullableQuery: Record<string, RpcNullableString> = {};
  for (const [name, values] of query) nullableQuery[name] = { value: values.join(',') };
  const nullableParams: Record<string, RpcNullableString> = {};
  for (const [name, value] of Object.entries(params)) nullableParams[name] = { value };
  return {
    method,
    url: url.href,
    nullableHeaders,
    nullableQuery,
    nullableParams,
    // the worker asks for raw bytes, so the host passes the body untouched whatever its content type
    body: body.length > 0 ? { bytes: body } : undefined,
  };
}

/** Route values are part of an HTTP trigger's binding data (the library does not surface it for HTTP). */
function routeMetadata(params: Record<string, string>): Record<string, RpcTypedData> {
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, stringData(value)]));
}

/** Writes the http output binding's value; returns the status written. Null/absent means 204, like the host. */
function writeFunctionResponse(req: IncomingMessage, res: ServerResponse, output: RpcTypedData | null | undefined): number {
  const http = output?.http;
  if (!http) {
    writeEmpty(res, 204);
    return 204;
  }
  const status = Number(http.statusCode ?? 200);
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new Error(`The function returned an invalid HTTP status "${http.statusCode}"`);
  const bodyBytes = bodyOf(http.body);
  for (const [name, value] of Object.entries(http.headers ?? {})) res.setHeader(name, value);
  const cookies = (http.cookies ?? []).map(serializeCookie);
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const noBody = req.method === 'HEAD' || status === 204 || status === 304 || status < 200;
  if (!noBody) res.setHeader('content-length', bodyBytes.length);
  res.writeHead(status);
  res.end(noBody ? undefined : bodyBytes);
  return status;
}

function bodyOf(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (typeof data.string === 'string') return Buffer.from(data.string, 'utf8');
  if (typeof data.json === 'string') return Buffer.from(data.json, 'utf8');
  if (typeof data.int === 'number' || typeof data.double === 'number') return Buffer.from(String(data.int ?? data.double));
  return Buffer.alloc(0);
}

function serializeCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${cookie.value ?? ''}`];
  if (cookie.expires?.value?.seconds != null) parts.push(`Expires=${new Date(Number(cookie.expires.value.seconds) * 1000).toUTCString()}`);
  if (cookie.maxAge?.value != null) parts.push(`Max-Age=${Math.trunc(cookie.maxAge.value)}`);
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  if (cookie.secure?.value) parts.push('Secure');
  const sameSite = { lax: 'Lax', strict: 'Strict', explicitNone: 'None', none: undefined }[cookie.sameSite ?? 'none'];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  return parts.join('; ');
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxRequestBodyBytes) {
        tooLarge = true;
        chunks.length = 0;
        resolve('too large');
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      if (!tooLarge) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function rejectTooLarge(req: IncomingMessage, res: ServerResponse): void {
  // Answer, then drop the connection rather than read the rest of a huge upload.
  res.setHeader('connection', 'close');
  writeEmpty(res, 413);
  res.on('finish', () => req.destroy());
}

function discardBody(req: IncomingMessage): void {
  req.resume();
}

function writeEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
