// The Functions host builds a queue trigger's binding data in a case-insensitive dictionary and then
// copies the top-level properties of a JSON message into it, overwriting what is there
// (azure-functions-nodejs-library#459, azure-webjobs-sdk-extensions#882): a message {"id": "x"} makes
// triggerMetadata.id "x" instead of the queue message id. The local host merges the same way, so an
// app whose message fields collide with the metadata it reads fails here as it would in Azure.
import type { RpcTypedData } from './functionsCore';

/**
 * The queue's metadata with the message's top-level JSON properties merged over it. A property that
 * matches an existing key case-insensitively replaces its value and keeps the existing key's spelling,
 * as a .NET Dictionary with OrdinalIgnoreCase does.
 */
export function mergeMessageProperties(metadata: Record<string, RpcTypedData>, messageText: string): Record<string, RpcTypedData> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(messageText);
  } catch {
    return metadata;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return metadata;
  const merged = { ...metadata };
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    const key = Object.keys(merged).find((existing) => existing.toLowerCase() === name.toLowerCase()) ?? name;
    // strings as strings, everything else as JSON text, as the host's RPC conversion sends them
    merged[key] = typeof value === 'string' ? { string: value } : { json: JSON.stringify(value) };
  }
  return merged;
}

/** Sets `name` in metadata, replacing any key that differs from it only in case. */
export function setCaseInsensitive(metadata: Record<string, RpcTypedData>, name: string, value: RpcTypedData): void {
  for (const key of Object.keys(metadata)) if (key.toLowerCase() === name.toLowerCase()) delete metadata[key];
  metadata[name] = value;
}
