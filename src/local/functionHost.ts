// The local Functions host: loads the app's entry points with the `@azure/functions-core` shim in
// place, then serves its HTTP triggers and polls its queue triggers the way the Azure host does.
// Used by `npm start` (through hostMain) and by the integration tests.
import { readdirSync, readFileSync } from 'node:fs';
import { applyHostJsonOverrides } from './hostJsonOverrides';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { installFunctionsCore, type FunctionRegistry, type RegisteredFunction } from './functionsCore';
import { createHostLogger, parseLogLevel, type LogLine } from './hostLog';
import { checkHostKeys, createKeyCheck, type HostKeySettings } from './hostKeys';
import { answerStarting, describeError, httpTriggerListener } from './httpTrigger';
import { buildHttpRoutes } from './httpRouteTable';
import { isFunctionDisabled } from './disabledFunctions';
import { InFlightWork } from './inFlight';
import { triggerBindingOf } from './invocation';
import { QueueListener, resolveQueueTrigger } from './queueListener';
import { parseTimeSpan, readQueueListenerOptions } from './queueOptions';
import { formatTimeSpan, parseFunctionTimeout, WorkerLifetime } from './workerLifetime';

export interface FunctionHostOptions {
  /** folder with host.json and package.json (whose `main` names the entry points) */
  appRoot: string;
  /** 0 picks a free port */
  port: number;
  host?: string;
  /**
   * The app settings, normally process.env. They resolve %SETTING% expressions and connections; when
   * they are not process.env itself, their values are copied into it, because in Azure the app reads
   * its settings from the environment.
   */
  settings: Record<string, string | undefined>;
  /** master, host and function keys (x-functions-key header or ?code=) */
  keys: HostKeySettings;
  /**
   * Called once a timeout or an uncaught exception has failed every running invocation, as the Azure
   * host does before it restarts the worker; the caller ends the process (see workerLifetime.ts).
   */
  onWorkerDeath?: (reason: Error) => void;
  /** where log lines go; console.log by default */
  log?: LogLine;
  /** how long stop() waits for running invocations; 30 s by default */
  stopTimeoutMs?: number;
  /** how long a queue message being processed stays invisible (renewed at half); 600 s by default */
  queueLeaseSeconds?: number;
  /**
   * Settings that depend on the host's own address (the app's public URL), set before the app is
   * loaded, as Azure sets WEBSITE_HOSTNAME: with port 0 the address is known only once the host
   * listens, so it listens first and answers 503 until the app is loaded.
   */
  settingsForUrl?: (url: string) => Record<string, string>;
}

export interface RunningHost {
  /** e.g. http://127.0.0.1:7071 */
  readonly url: string;
  stop(): Promise<void>;
  /** An exception nothing caught: fail every running invocation, then onWorkerDeath. */
  crash(error: Error): void;
}

let appLoaded = false;

export async function startFunctionHost(options: FunctionHostOptions): Promise<RunningHost> {
  if (appLoaded) throw new Error('This process already hosts a function app; start another process for another app');
  const appRoot = path.resolve(options.appRoot);
  const hostJson = applyHostJsonOverrides(readJsonFile(path.join(appRoot, 'host.json')), options.settings);
  const logLevels = objectAt(objectAt(hostJson, 'logging'), 'logLevel');
  const logger = createHostLogger(options.log ?? ((line) => console.log(line)), parseLogLevel(logLevels.Function ?? logLevels.default, 'information'));
  if (options.settings !== process.env) {
    for (const [name, value] of Object.entries(options.settings)) if (value !== undefined) process.env[name] = value;
  }

  let listener: (req: IncomingMessage, res: ServerResponse) => void = answerStarting;
  const server = createServer((req, res) => listener(req, res));
  await listen(server, options.port, options.host ?? '127.0.0.1');
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  try {
    for (const [name, value] of Object.entries(options.settingsForUrl?.(url) ?? {})) {
      options.settings[name] = value;
      process.env[name] = value;
    }
    return await loadAndServe(options, { appRoot, hostJson, logger, server, url, serve: (next) => (listener = next) });
  } catch (error) {
    server.close();
    throw error;
  }
}

interface Serving {
  appRoot: string;
  hostJson: Record<string, unknown>;
  logger: ReturnType<typeof createHostLogger>;
  /** listening already, answering 503 until `serve` hands it the trigger listener */
  server: Server;
  url: string;
  serve: (listener: (req: IncomingMessage, res: ServerResponse) => void) => void;
}

async function loadAndServe(options: FunctionHostOptions, serving: Serving): Promise<RunningHost> {
  const { appRoot, hostJson, logger, server, url } = serving;
  const packageJson = readJsonFile(path.join(appRoot, 'package.json')) as { main?: unknown; type?: unknown };
  const registry = installFunctionsCore();
  registry.logSink = (entry) => logger.core(entry);
  appLoaded = true;
  await loadEntryPoints(registry, appRoot, packageJson.main, packageJson.type === 'module');
  registry.indexingLocked = true;
  await checkCapabilities(registry);
  const functions = [...registry.functions.values()];
  for (const fn of functions) checkBindingsSupported(fn);
  checkHostKeys(
    options.keys,
    functions.map((fn) => fn.metadata.name),
  );
  const functionTimeoutMs = parseFunctionTimeout(hostJson.functionTimeout, parseTimeSpan);
  logger.host('information', `Loaded ${functions.length} function(s): ${functions.map((f) => f.metadata.name).join(', ') || 'none'}`);
  const enabled = functions.filter((fn) => !isFunctionDisabled(fn.metadata.name, options.settings));
  for (const fn of functions.filter((f) => !enabled.includes(f))) {
    logger.host(
      'information',
      `Function "${fn.metadata.name}" is disabled by the app setting AzureWebJobs.${fn.metadata.name}.Disabled; its trigger will not fire`,
    );
  }

  const queueOptions = readQueueListenerOptions(hostJson, options.queueLeaseSeconds);
  const routePrefix = objectAt(objectAt(hostJson, 'extensions'), 'http').routePrefix;
  const { routes, refused } = buildHttpRoutes(enabled, typeof routePrefix === 'string' ? routePrefix : 'api');
  for (const { name, reason } of refused) logger.host('error', `Function "${name}" is in error and does not load: ${reason}`);
  const inFlight = new InFlightWork();
  let accepting = true;
  const worker = new WorkerLifetime(functionTimeoutMs, (reason) => {
    accepting = false;
    logger.host('error', `${reason.message}. Every invocation running in the worker has failed; restarting the worker.`);
    void (async () => {
      await Promise.all(listeners.map((listener) => listener.stop()));
      // the failed invocations' messages are released (or poisoned) before the process goes
      await inFlight.whenIdle(10_000);
      for (const listener of listeners) listener.abandonRenewals();
      options.onWorkerDeath?.(reason);
    })();
  });
  const listeners = enabled
    .filter((fn) => triggerBindingOf(fn).type.toLowerCase() === 'queuetrigger')
    .map((fn) => new QueueListener(resolveQueueTrigger(fn, options.settings), queueOptions, registry, logger, inFlight, worker));

  await registry.runHooks('appStart', registry.appHookContext({ functionAppDirectory: appRoot }));

  const keyCheck = createKeyCheck(options.keys);
  try {
    await Promise.all(listeners.map((listener) => listener.start()));
  } catch (error) {
    await Promise.all(listeners.map((listener) => listener.stop()));
    throw error;
  }
  serving.serve(httpTriggerListener({ registry, routes, keyCheck, logger, inFlight, worker, accepting: () => accepting }));
  for (const route of routes) {
    logger.host('information', `${route.fn.metadata.name}: [${[...route.methods].join(',')}] ${url}/${route.template.text} (${route.authLevel})`);
  }
  logger.host('information', functionTimeoutMs === undefined ? 'functionTimeout: none' : `functionTimeout: ${formatTimeSpan(functionTimeoutMs)}`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      accepting = false;
      logger.host('information', 'Stopping: no new work is taken; waiting for running invocations');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.all(listeners.map((listener) => listener.stop()));
      const timeoutMs = options.stopTimeoutMs ?? 30_000;
      if (!(await inFlight.whenIdle(timeoutMs))) {
        logger.host(
          'warning',
          `${inFlight.count} invocation(s) still running after ${timeoutMs} ms are abandoned; their queue messages become visible again after the ${queueOptions.processingLeaseSeconds}-second processing lease`,
        );
      }
      for (const listener of listeners) listener.abandonRenewals();
      try {
        await registry.runHooks('appTerminate', registry.appHookContext());
      } catch (error) {
        logger.host('error', `An appTerminate hook failed: ${describeError(error)}`);
      }
      server.closeAllConnections();
      await closed;
      logger.host('information', 'Stopped');
    })());
  return { url, stop, crash: (error) => worker.die(new Error(`Worker uncaught exception: ${describeError(error)}`)) };
}

/** Loads `main` (a file, or a `dir/*.js` style pattern) in sorted order, like the worker's startApp. */
async function loadEntryPoints(registry: FunctionRegistry, appRoot: string, main: unknown, isModulePackage: boolean): Promise<void> {
  if (typeof main !== 'string' || main.trim() === '') throw new Error(`${path.join(appRoot, 'package.json')} has no "main" naming the function entry points`);
  const files = expandEntryPointPattern(appRoot, main);
  if (files.length === 0) throw new Error(`Found zero files matching the entry point pattern "${main}" in ${appRoot}`);
  for (const file of files) {
    registry.currentEntryPoint = file;
    try {
      if (file.endsWith('.mjs') || (isModulePackage && !file.endsWith('.cjs'))) {
        // a dynamic import() that TypeScript's CommonJS output would otherwise turn into require()
        // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the only way to keep a real import() in CommonJS output
        const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;
        await importModule(pathToFileURL(file).href);
      } else {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads a function app's entry point by path, as the Node worker does
        require(file);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`Unable to load entry point "${path.relative(appRoot, file)}": ${message}`, { cause: error });
    } finally {
      registry.currentEntryPoint = undefined;
    }
  }
}

/** Node 20 has no fs.glob: a literal path, or wildcards (* and ?) in the last path segment only. */
export function expandEntryPointPattern(appRoot: string, pattern: string): string[] {
  const absolute = path.resolve(appRoot, pattern);
  const directory = path.dirname(absolute);
  const name = path.basename(absolute);
  if (/[*?[\]{}]/.test(directory))
    throw new Error(`Entry point pattern "${pattern}": wildcards are supported in the file name only (e.g. "dist/functions/*.js")`);
  if (!/[*?]/.test(name)) return readdirSafe(directory).includes(name) ? [absolute] : [];
  if (/[[\]{}]/.test(name)) throw new Error(`Entry point pattern "${pattern}": only * and ? wildcards are supported`);
  const matcher = new RegExp(
    `^${name
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
  return readdirSafe(directory)
    .filter((entry) => matcher.test(entry) && !entry.endsWith('.map') && !entry.endsWith('.d.ts'))
    .sort()
    .map((entry) => path.join(directory, entry));
}

function readdirSafe(directory: string): string[] {
  try {
    return readdirSync(directory);
  } catch {
    return [];
  }
}

/** Lets the library lock its setup; streaming needs the worker's HTTP proxy, which this host lacks. */
async function checkCapabilities(registry: FunctionRegistry): Promise<void> {
  const model = registry.programmingModel;
  if (!model) return;
  const capabilities = (await model.getCapabilities?.({})) ?? {};
  if (capabilities.HttpUri) {
    throw new Error('The app enables HTTP streaming (app.setup({ enableHttpStream: true })), which the local host does not support');
  }
}

const supportedBindings = new Set(['in:httptrigger', 'out:http', 'in:queuetrigger']);

/** Fails start-up on a binding that would otherwise be silently ignored. */
function checkBindingsSupported(fn: RegisteredFunction): void {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    const key = `${binding.direction}:${String(binding.type).toLowerCase()}`;
    if (!supportedBindings.has(key)) {
      throw new Error(
        `Function "${fn.metadata.name}" has a ${binding.direction} binding "${name}" of type "${binding.type}", which the local host does not support`,
      );
    }
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(new Error(`Cannot listen on ${host}:${port}: ${error.message}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function objectAt(value: unknown, key: string): Record<string, unknown> {
  const inner = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return inner && typeof inner === 'object' ? (inner as Record<string, unknown>) : {};
}
