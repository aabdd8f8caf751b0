// The Functions host lets app settings override host.json: `AzureFunctionsJobHost__extensions__queues__batchSize`
// sets extensions.queues.batchSize. The local host honours the same settings, so that an override
// behaves here as it does in Azure (the tests use it to shorten the queue's retry delay).
const PREFIX = 'azurefunctionsjobhost__';

export function applyHostJsonOverrides(hostJson: unknown, settings: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const result = structuredClone<Record<string, unknown>>(isObject(hostJson) ? hostJson : {});
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined || !name.toLowerCase().startsWith(PREFIX)) continue;
    const segments = name.slice(PREFIX.length).split('__').filter(Boolean);
    if (segments.length === 0) continue;
    let node = result;
    for (const segment of segments.slice(0, -1)) {
      const key = existingKey(node, segment);
      if (!isObject(node[key])) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[existingKey(node, segments[segments.length - 1])] = /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return result;
}

/** host.json keys are matched case-insensitively, as the host's configuration system does. */
function existingKey(node: Record<string, unknown>, segment: string): string {
  return Object.keys(node).find((k) => k.toLowerCase() === segment.toLowerCase()) ?? segment;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
