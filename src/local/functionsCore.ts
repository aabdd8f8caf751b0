// The local host's stand-in for `@azure/functions-core`, the module that the Azure Functions Node.js
// worker provides at run time. `@azure/functions` (v4 programming model) requires it lazily when the
// first `app.http(...)`/`app.storageQueue(...)` call registers a function; without it the library
// falls back to "test mode" and registers nothing. Installing this shim before the app's entry points
// load makes the registrations land in a registry that the local host can invoke.
//
// The types below are the subset of the worker's `types-core` contract that the library uses.
import Module from 'node:module';

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

export interface RpcNullableString {
  value?: string | null;
}

export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: RpcNullableString | null;
  path?: RpcNullableString | null;
  expires?: { value?: { seconds?: number | null; nanos?: number | null } | null } | null;
  secure?: { value?: boolean | null } | null;
  httpOnly?: { value?: boolean | null } | null;
  sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone' | null;
  maxAge?: { value?: number | null } | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  enableContentNegotiation?: boolean | null;
  rawBody?: RpcTypedData | null;
  cookies?: RpcHttpCookie[] | null;
  nullableHeaders?: Record<string, RpcNullableString> | null;
  nullableParams?: Record<string, RpcNullableString> | null;
  nullableQuery?: Record<string, RpcNullableString> | null;
}

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
  collectionString?: { string?: string[] | null } | null;
  collectionBytes?: { bytes?: Uint8Array[] | null } | null;
}

export interface RpcParameterBinding {
  name?: string | null;
  data?: RpcTypedData | null;
}

export interface RpcInvocationRequest {
  invocationId?: string | null;
  functionId?: string | null;
  inputData?: RpcParameterBinding[] | null;
  triggerMetadata?: Record<string, RpcTypedData> | null;
  traceContext?: { traceParent?: string | null; traceState?: string | null; attributes?: Record<string, string> | null } | null;
  retryContext?: { retryCount?: number | null; maxRetryCount?: number | null } | null;
}

export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}

/** One binding of a function as `@azure/functions` declares it: type and direction plus trigger options. */
export interface RpcBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  dataType?: 'undefined' | 'string' | 'binary' | 'stream' | null;
  [option: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export type InvocationState = 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';

export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: FunctionMetadata;
  state?: InvocationState;
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export interface InvocationArguments {
  context: unknown;
  inputs: unknown[];
}

export interface InvocationModel {
  getArguments(): Promise<InvocationArguments>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  getCapabilities?(defaults: Record<string, string>): Record<string, string> | Promise<Record<string, string>>;
}

export type HookData = Record<string, unknown>;
export interface HookContext {
  readonly hookData: HookData;
  readonly appHookData: HookData;
}
export type HookCallback = (context: HookContext) => void | Promise<void>;
export type HookName = 'preInvocation' | 'postInvocation' | 'appStart' | 'appTerminate';
const hookNames: readonly HookName[] = ['preInvocation', 'postInvocation', 'appStart', 'appTerminate'];

/** Releases what a registration holds; same shape and semantics as the worker's (VS Code style) Disposable. */
export class Disposable {
  static from(...disposables: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const d of disposables) d?.dispose?.();
    });
  }

  #callOnDispose?: () => unknown;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): unknown {
    const callback = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return callback?.();
  }
}

/** An error the library recognises as coming from the runtime rather than from user code. */
class CoreSystemError extends Error {
  readonly isAzureFunctionsSystemError = true;
}

export interface CoreLogEntry {
  level: RpcLogLevel;
  category: RpcLogCategory;
  message: string;
  functionName?: string;
  invocationId?: string;
}
export type CoreLogSink = (entry: CoreLogEntry) => void;

export interface RegisteredFunction {
  readonly id: string;
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
  /** the entry point file whose loading registered it, for error messages */
  readonly entryPoint?: string;
}

/** What the worker keeps per app: registered functions, hooks, the programming model, hook data. */
export class FunctionRegistry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks: Record<HookName, HookCallback[]> = { preInvocation: [], postInvocation: [], appStart: [], appTerminate: [] };
  /** shared by every hook of every scope */
  readonly appHookData: HookData = {};
  /** shared by appStart and appTerminate hooks only */
  readonly appLevelOnlyHookData: HookData = {};
  programmingModel?: ProgrammingModel;
  currentEntryPoint?: string;
  /** like the worker, functions can only be registered while the entry points load */
  indexingLocked = false;
  logSink: CoreLogSink = defaultSink;

  register(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    if (this.indexingLocked) throw new CoreSystemError('A function can only be registered during app startup.');
    const id = metadata.functionId || metadata.name;
    if (this.functions.has(id)) throw new CoreSystemError(`A function with id "${id}" has already been registered.`);
    this.functions.set(id, { id, metadata, callback, entryPoint: this.currentEntryPoint });
    return new Disposable(() => {
      if (this.indexingLocked) throw new CoreSystemError('A function can only be disposed during app startup.');
      this.functions.delete(id);
    });
  }

  registerHook(hookName: string, callback: HookCallback): Disposable {
    if (!(hookNames as readonly string[]).includes(hookName)) {
      // RangeError + system flag is what the library turns into "log hooks need a newer host"
      const error = new RangeError(`Unrecognized hook "${hookName}"`) as RangeError & { isAzureFunctionsSystemError: boolean };
      error.isAzureFunctionsSystemError = true;
      throw error;
    }
    const list = this.hooks[hookName as HookName];
    list.push(callback);
    return new Disposable(() => {
      const index = list.indexOf(callback);
      if (index >= 0) list.splice(index, 1);
    });
  }

  /** Runs the hooks in registration order; a throwing hook stops the chain, as in the worker. */
  async runHooks(hookName: HookName, context: HookContext): Promise<void> {
    for (const callback of [...this.hooks[hookName]]) await callback(context);
  }

  /** Context for appStart/appTerminate hooks; hookData objects are read-only properties like the worker's. */
  appHookContext(extra: Record<string, unknown> = {}): HookContext {
    const context = { ...extra } as HookContext & Record<string, unknown>;
    Object.defineProperty(context, 'hookData', { get: () => this.appLevelOnlyHookData, set: readOnly('hookData'), enumerable: true });
    Object.defineProperty(context, 'appHookData', { get: () => this.appHookData, set: readOnly('appHookData'), enumerable: true });
    return context;
  }
}

export function readOnly(property: string): () => never {
  return () => {
    throw new TypeError(`Cannot assign to read only property '${property}'`);
  };
}

function defaultSink(entry: CoreLogEntry): void {
  console.log(`[${entry.level}] ${entry.message}`);
}

const coreModuleName = '@azure/functions-core';
let installed: FunctionRegistry | undefined;

/**
 * Makes `require('@azure/functions-core')` return this host's core API, for every module of the process.
 * A process hosts one app, so this returns the same registry on every call.
 */
export function installFunctionsCore(): FunctionRegistry {
  if (installed) return installed;
  const registry = new FunctionRegistry();
  const coreApi = {
    version: '3.10.1-local',
    hostVersion: '4.0.0-local',
    registerFunction: (metadata: FunctionMetadata, callback: FunctionCallback) => registry.register(metadata, callback),
    registerHook: (hookName: string, callback: HookCallback) => registry.registerHook(hookName, callback),
    setProgrammingModel: (model: ProgrammingModel) => {
      registry.programmingModel = model;
    },
    getProgrammingModel: () => registry.programmingModel,
    log: (level: RpcLogLevel, category: RpcLogCategory, message: string) => registry.logSink({ level, category, message }),
    Disposable,
  };

  // Module.prototype.require is what every CommonJS `require` (and `import` of a CommonJS package)
  // goes through; the worker intercepts the same method.
  const modulePrototype = Module.prototype as unknown as { require: (this: unknown, id: string) => unknown };
  const originalRequire = modulePrototype.require;
  modulePrototype.require = function requireWithFunctionsCore(this: unknown, id: string): unknown {
    return id === coreModuleName ? coreApi : originalRequire.call(this, id);
  };
  installed = registry;
  return registry;
}
