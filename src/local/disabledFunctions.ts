// Switching one function off with an app setting, as the Functions host does: AzureWebJobs.<name>.Disabled,
// or AzureWebJobs_<name>_Disabled where a setting name cannot hold dots (Linux), set to "true" or "1"
// (case-insensitive, names too, like .NET configuration). A disabled function's trigger never fires:
// its queue is not polled and its HTTP route answers 404.
export function isFunctionDisabled(functionName: string, settings: Readonly<Record<string, string | undefined>>): boolean {
  const names = new Set([`azurewebjobs.${functionName}.disabled`, `azurewebjobs_${functionName}_disabled`].map((n) => n.toLowerCase()));
  return Object.entries(settings).some(([name, value]) => names.has(name.toLowerCase()) && value !== undefined && /^(true|1)$/i.test(value));
}
