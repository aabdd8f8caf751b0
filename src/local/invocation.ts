// One invocation, performed the way the Node.js worker's InvocationHandler does it, so the app's code
// sees exactly what it sees in Azure: the programming model builds the context and inputs from an
// RPC-shaped invocation request, hooks run around the call, and the model turns the result into an
// RPC invocation response.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type CoreInvocationContext,
  type FunctionRegistry,
  type HookContext,
  type InvocationState,
  type RegisteredFunction,
  type RpcInvocationRequest,
  type RpcInvocationResponse,
  type RpcLogCategory,
  type RpcLogLevel,
  type RpcParameterBinding,
  type RpcTypedData,
  readOnly,
} from './functionsCore';
import { setCaseInsensitive } from './triggerMetadata';
import { asError } from '../errors';

export interface InvocationInput {
  /** the trigger's input binding value, as the host would send it */
  triggerData: RpcTypedData;
  triggerMetadata: Record<string, RpcTypedData>;
}

/** The binding that triggers the function (its type ends in "Trigger"), with its name. */
export function triggerBindingOf(fn: RegisteredFunction): { name: string; type: string; options: Record<string, unknown> } {
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (binding.type && /trigger$/i.test(binding.type)) return { name, type: binding.type, options: binding };
  }
  throw new Error(`Function "${fn.metadata.name}" has no trigger binding`);
}

/**
 * Invokes a registered function. Resolves with the programming model's response; rejects with what the
 * function (or a hook) threw, which the caller turns into a 500 or a queue retry.
 */
export async function invokeRegisteredFunction(
  registry: FunctionRegistry,
  fn: RegisteredFunction,
  input: InvocationInput,
  invocationId: string = randomUUID(),
): Promise<RpcInvocationResponse> {
  const model = registry.programmingModel;
  if (!model) throw new Error('No programming model is registered: the app did not load @azure/functions');
  const functionName = fn.metadata.name;
  const triggerName = triggerBindingOf(fn).name;
  // the host adds "sys" after the trigger's binding data, replacing a message property of that name
  const triggerMetadata = { ...input.triggerMetadata };
  setCaseInsensitive(triggerMetadata, 'sys', jsonData({ MethodName: functionName, UtcNow: dotNetDate(new Date()), RandGuid: randomUUID() }));
  const request: RpcInvocationRequest = {
    invocationId,
    functionId: fn.id,
    inputData: [{ name: triggerName, data: input.triggerData }],
    triggerMetadata,
    traceContext: { traceParent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`, traceState: '', attributes: {} },
  };
  const coreContext: CoreInvocationContext & { state?: InvocationState } = {
    invocationId,
    request,
    metadata: fn.metadata,
    state: undefined,
    log: (level: RpcLogLevel, category: RpcLogCategory, message: string) => registry.logSink({ level, category, message, functionName, invocationId }),
  };

  const invocationModel = await model.getInvocationModel(coreContext);
  const { context, inputs: initialInputs } = await invocationModel.getArguments();
  const hookData = {};

  const preInvocation = invocationHookContext(registry, hookData, context, {
    inputs: initialInputs,
    functionCallback: fn.callback,
  });
  coreContext.state = 'preInvocationHooks';
  try {
    await registry.runHooks('preInvocation', preInvocation);
  } finally {
    coreContext.state = undefined;
  }

  const outcome: { result: unknown; error: unknown } = { result: null, error: null };
  const postInvocation = invocationHookContext(registry, hookData, context, {
    inputs: preInvocation.inputs,
    ...outcome,
  });
  coreContext.state = 'invocation';
  try {
    postInvocation.result = await invocationModel.invokeFunction(context, preInvocation.inputs, preInvocation.functionCallback);
  } catch (error) {
    postInvocation.error = error;
  } finally {
    coreContext.state = undefined;
  }

  coreContext.state = 'postInvocationHooks';
  try {
    await registry.runHooks('postInvocation', postInvocation);
  } finally {
    coreContext.state = undefined;
  }
  // a postInvocation hook may clear or replace the error, as in the worker
  if (postInvocation.error !== null && postInvocation.error !== undefined) throw asError(postInvocation.error);

  return invocationModel.getResponse(context, postInvocation.result);
}

function invocationHookContext<T extends object>(
  registry: FunctionRegistry,
  hookData: Record<string, unknown>,
  invocationContext: unknown,
  fields: T,
): HookContext & T & { readonly invocationContext: unknown } {
  const context = { ...fields } as HookContext & T & { invocationContext: unknown };
  Object.defineProperty(context, 'hookData', { get: () => hookData, set: readOnly('hookData'), enumerable: true });
  Object.defineProperty(context, 'appHookData', { get: () => registry.appHookData, set: readOnly('appHookData'), enumerable: true });
  Object.defineProperty(context, 'invocationContext', { get: () => invocationContext, set: readOnly('invocationContext'), enumerable: true });
  return context;
}

export function stringData(value: string): RpcTypedData {
  return { string: value };
}

/** How the host sends values that are neither strings nor byte arrays: JSON (Newtonsoft) text. */
export function jsonData(value: unknown): RpcTypedData {
  return { json: JSON.stringify(value) };
}

/** A DateTimeOffset in UTC as the host's JSON serializer writes it, e.g. "2024-05-01T12:34:56+00:00". */
export function dotNetDate(date: Date): string {
  const iso = date.toISOString(); // 2024-05-01T12:34:56.789Z
  const fraction = iso.slice(19, 23).replace(/\.?0+$/, '');
  return `${iso.slice(0, 19)}${fraction}+00:00`;
}

/** The output binding value that `name` carries in a response, or the return value for "$return". */
export function outputOf(response: RpcInvocationResponse, name: string): RpcTypedData | null | undefined {
  if (name === '$return') return response.returnValue;
  return response.outputData?.find((binding: RpcParameterBinding) => binding.name === name)?.data;
}
