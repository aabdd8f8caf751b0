// HTTP triggers: a node:http server that routes requests to `app.http(...)` registrations and passes
// each request to the function in the RPC shape the Functions host uses with the Node.js worker's
// capabilities (RawHttpBodyBytes, RpcHttpBodyOnly, UseNullableValueDictionaryForHttp). Like the host's
// request conversion, it passes a body only when the request declares Content-Length > 0: a chunked
// request reaches the function with no body at all.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FunctionRegistry, RpcHttpCookie, RpcHttpData, RpcNullableString, RpcTypedData } from './functionsCore';
import type { KeyCheck } from './hostKeys';
import type { HostLogger } from './hostLog';
import { findRoute, type HttpRoute } from './httpRouteTable';
import type { InFlightWork } from './inFlight';
import { invokeRegisteredFunction, outputOf, stringData } from './invocation';
import type { WorkerLifetime } from './workerLifetime';

/** The Functions host rejects request bodies above 100 MiB (maxRequestBodySize). */
export const maxRequestBodyBytes = 100 * 1024 * 1024;

export interface HttpTriggerServerOptions {
  registry: FunctionRegistry;
  routes: readonly HttpRoute[];
  keyCheck: KeyCheck;
  logger: HostLogger;
  inFlight: InFlightWork;
  worker: WorkerLifetime;
  /** false once the host is stopping: requests on kept-alive connections then get 503 */
  accepting: () => boolean;
}

export function createHttpTriggerServer(options: HttpTriggerServerOptions): Server {
  return createServer(httpTriggerListener(options));
}

/** The server's request listener, for a server that listened before the app was loaded. */
export function httpTriggerListener(options: HttpTriggerServerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (!options.accepting()) {
      discardBody(req);
      res.setHeader('connection', 'close');
      return writeEmpty(res, 503);
    }
    const work = handleRequest(req, res, options).catch((error: unknown) => {
      options.logger.host('error', `Request handling failed: ${describeError(error)}`);
      if (!res.headersSent) writeEmpty(res, 500);
      else res.destroy();
    });
    void options.inFlight.track(work);
  };
}

/** What a request gets while the host is still loading the app: 503, as when it stops. */
export function answerStarting(req: IncomingMessage, res: ServerResponse): void {
  discardBody(req);
  res.setHeader('connection', 'close');
  writeEmpty(res, 503);
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, options: HttpTriggerServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const method = (req.method ?? 'GET').toUpperCase();
  const found = findRoute(options.routes, method, url.pathname);
  if (!found) {
    discardBody(req);
    return writeEmpty(res, 404);
  }
  const { route, params } = found;

  const headerKey = req.headers['x-functions-key'];
  const key = (Array.isArray(headerKey) ? headerKey[0] : headerKey) ?? url.searchParams.get('code') ?? undefined;
  if (!options.keyCheck(route.authLevel, route.fn.metadata.name, key)) {
    discardBody(req);
    return writeEmpty(res, 401);
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
  // read to its end either way, but without a declared length the host hands the function no body
  if (!(declaredLength > 0)) body = Buffer.alloc(0);

  const fn = route.fn;
  const invocationId = randomUUID();
  const started = Date.now();
  options.logger.core({
    level: 'information',
    category: 'system',
    functionName: fn.metadata.name,
    invocationId,
    message: `Executing (Reason='This function was programmatically called via the host APIs.')`,
  });
  let statusCode: number;
  try {
    const input = { triggerData: { http: toRpcHttpRequest(req, url, method, params, body) }, triggerMetadata: routeMetadata(params) };
    const response = await options.worker.run(fn.metadata.name, () => invokeRegisteredFunction(options.registry, fn, input, invocationId));
    const output = route.responseBinding ? outputOf(response, route.responseBinding) : undefined;
    statusCode = writeFunctionResponse(req, res, output);
    options.logger.core({
      level: 'information',
      category: 'system',
      functionName: fn.metadata.name,
      invocationId,
      message: `Executed (Succeeded, Status=${statusCode}, Duration=${Date.now() - started}ms)`,
    });
  } catch (error) {
    options.logger.core({
      level: 'error',
      category: 'system',
      functionName: fn.metadata.name,
      invocationId,
      message: `Executed (Failed, Duration=${Date.now() - started}ms): ${describeError(error)}`,
    });
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

/** Writes the http output binding's value; returns the status written. Nothing returned is an empty 200, as in Azure. */
function writeFunctionResponse(req: IncomingMessage, res: ServerResponse, output: RpcTypedData | null | undefined): number {
  const http = output?.http;
  if (!http) {
    writeEmpty(res, 200);
    return 200;
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

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
