// How the relay reaches each smart host of the delivery policy: `default` is the SMARTHOST_* settings;
// every other one is its `smartHosts.<name>` entry, with the password read from the app setting its
// `passwordSetting` names (an environment variable locally, or local.settings.json "Values", which
// the local host puts in the environment; in Azure a Key Vault reference). Read once, at start-up,
// by loadConfig: a missing password is a start-up problem naming the smart host and the setting.
// The password itself is never put in a problem or a log line. (Port 25 is refused with the policy,
// in core/policy/resolveRoutes.ts, at its JSON path.)
import type { RelayConfig } from './config';
import { DEFAULT_SMART_HOST, type DeliveryPolicy } from './core/policy/types';

/** One smart host's connection, as NodemailerSmartHost takes it. */
export type SmartHostSettings = RelayConfig['smartHost'];

type Env = Readonly<Record<string, string | undefined>>;

/** Every smart host by name, `default` first; problems go to loadConfig's list. */
export function readSmartHostSettings(
  policy: DeliveryPolicy,
  env: Env,
  defaults: SmartHostSettings,
  problems: string[],
): ReadonlyMap<string, SmartHostSettings> {
  const hosts = new Map<string, SmartHostSettings>([[DEFAULT_SMART_HOST, defaults]]);
  for (const limits of policy.smartHosts.values()) {
    const connection = limits.connection;
    if (limits.name === DEFAULT_SMART_HOST || !connection) continue;
    const password = connection.passwordSetting === undefined ? undefined : readPassword(limits.name, connection.passwordSetting, env, problems);
    hosts.set(limits.name, {
      host: connection.host,
      port: connection.port,
      auth: connection.auth,
      username: connection.username,
      password,
      oauthScope: connection.oauthScope ?? defaults.oauthScope,
      identityClientId: connection.identityClientId ?? defaults.identityClientId,
      poolSize: connection.poolSize ?? defaults.poolSize,
      connectTimeoutMs: defaults.connectTimeoutMs,
      socketTimeoutMs: defaults.socketTimeoutMs,
    });
  }
  return hosts;
}

function readPassword(name: string, setting: string, env: Env, problems: string[]): string | undefined {
  // never trimmed, like SMARTHOST_PASSWORD: a password may end in a space
  const value = env[setting] || undefined;
  if (value === undefined) {
    problems.push(
      `smart host "${name}": ${setting} is not set: its passwordSetting names it as the setting holding the password (locally an environment variable or local.settings.json "Values", in Azure a Key Vault reference)`,
    );
    return undefined;
  }
  // An unresolved Key Vault reference reaches the app as its own text: that is no password.
  if (value.startsWith('@Microsoft.KeyVault(')) {
    problems.push(
      `smart host "${name}": ${setting} is an unresolved Key Vault reference: the app cannot read the secret it names (check the identity's access)`,
    );
    return undefined;
  }
  return value;
}
