// Every setting the relay reads, in one place. Nothing else in the code reads process.env: the
// catalogue below is what the README documents and what infra/main.bicep must set.

export type SettingScope =
  /** set by infra/main.bicep in Azure as well as read locally */
  | 'app'
  /** only meaningful for the local host (`npm start`, tests) */
  | 'local';

export interface SettingSpec {
  readonly name: string;
  readonly scope: SettingScope;
  /** default used when the setting is absent; undefined means "required" or "optional, no default" */
  readonly default?: string;
  /** value the local host (`npm start`, tests) supplies when neither env nor local.settings.json has one */
  readonly localDefault?: string;
  readonly required?: boolean;
  readonly secret?: boolean;
  readonly description: string;
}

export const SETTINGS = [
  { name: 'AzureWebJobsStorage', scope: 'local', default: 'UseDevelopmentStorage=true', description: 'Storage connection string. In Azure the app uses the identity-based AzureWebJobsStorage__* settings instead.' },
  { name: 'AzureWebJobsStorage__blobServiceUri', scope: 'app', description: 'Blob endpoint for identity-based storage access (used when no connection string is set).' },
  { name: 'AzureWebJobsStorage__queueServiceUri', scope: 'app', description: 'Queue endpoint for identity-based storage access.' },
  { name: 'AzureWebJobsStorage__tableServiceUri', scope: 'app', description: 'Table endpoint for identity-based storage access.' },
  { name: 'AzureWebJobsStorage__credential', scope: 'app', description: '"managedidentity" in Azure: storage is reached with a managed identity.' },
  { name: 'AzureWebJobsStorage__clientId', scope: 'app', description: 'Client id of the user-assigned managed identity used for storage.' },
  { name: 'RELAY_IDENTITY_CLIENT_ID', scope: 'app', description: 'Client id of the user-assigned managed identity the relay code takes tokens as (storage clients, SMTP XOAUTH2). Unset: DefaultAzureCredential\'s own choice (a developer sign-in, say).' },
  { name: 'RELAY_LOCAL_FUNCTION_KEY', scope: 'local', default: 'local-dev-key', secret: true, description: 'Function key the local host requires in x-functions-key. In Azure the platform manages keys.' },
  { name: 'RELAY_LOCAL_PORT', scope: 'local', default: '7071', description: 'Port of the local function host (`npm start`).' },
  { name: 'RELAY_LOCAL_QUEUE_LEASE_SECONDS', scope: 'local', default: '600', description: 'How long the local host keeps a queue message it is processing invisible (renewed at half that); after a crash its messages reappear once this has passed. 600 mirrors the Functions host; tests shorten it.' },
  { name: 'RELAY_LOCAL_DATA_DIR', scope: 'local', default: '.local', description: 'Folder for Azurite data and the development smart host\'s .eml files and certificate.' },
  { name: 'RELAY_ALLOWED_SENDER_DOMAINS', scope: 'app', required: true, localDefault: 'example.com,example.jp', description: 'Comma-separated domains that may appear in "from" (exact match, case-insensitive).' },
  { name: 'RELAY_MAX_RECIPIENTS', scope: 'app', default: '100', description: 'Most recipients (to + cc + bcc) in one message; 1 to 100.' },
  { name: 'RELAY_MAX_MESSAGE_BYTES', scope: 'app', default: '10485760', description: 'Largest accepted request body and composed message, in bytes.' },
  { name: 'RELAY_MAX_RETRY_SECONDS', scope: 'app', default: '86400', description: 'How long a deferred recipient is retried, from when it was queued, before it is failed.' },
  { name: 'RELAY_RETRY_FIRST_DELAY_SECONDS', scope: 'app', default: '60', description: 'Delay before the first retry of a deferred recipient; each later retry doubles it.' },
  { name: 'RELAY_RETRY_MAX_DELAY_SECONDS', scope: 'app', default: '3600', description: 'Longest delay between two retries.' },
  { name: 'RELAY_QUEUE_NAME', scope: 'app', default: 'deliveries', description: 'Storage queue of deliveries; its poison queue is "<name>-poison".' },
  { name: 'RELAY_DELIVERIES_TABLE', scope: 'app', default: 'deliveries', description: 'Table with one row per recipient (PartitionKey = message id).' },
  { name: 'RELAY_EVENTS_TABLE', scope: 'app', default: 'deliveryevents', description: 'Table with one row per delivery outcome (PartitionKey = UTC hour yyyyMMddHH).' },
  { name: 'RELAY_IDEMPOTENCY_TABLE', scope: 'app', default: 'idempotency', description: 'Table that remembers Idempotency-Key answers for 24 hours.' },
  { name: 'RELAY_BODY_CONTAINER', scope: 'app', default: 'messages', description: 'Blob container holding each composed message (.eml).' },
  { name: 'SMARTHOST_HOST', scope: 'app', required: true, description: 'Smart host name (its TLS certificate must match it). Locally, when unset, `npm start` runs the development smart host.' },
  { name: 'SMARTHOST_PORT', scope: 'app', default: '587', description: 'Smart host submission port (STARTTLS is required).' },
  { name: 'SMARTHOST_AUTH', scope: 'app', default: 'login', description: '"login" or "plain" (username and password) or "xoauth2" (token from @azure/identity).' },
  { name: 'SMARTHOST_USERNAME', scope: 'app', required: true, description: 'SMTP AUTH user name (for xoauth2, the mailbox or principal the token is for).' },
  { name: 'SMARTHOST_PASSWORD', scope: 'app', secret: true, description: 'SMTP AUTH password (required unless SMARTHOST_AUTH=xoauth2); in Azure a Key Vault reference.' },
  { name: 'SMARTHOST_OAUTH_SCOPE', scope: 'app', default: 'https://outlook.office365.com/.default', description: 'Token scope requested for xoauth2.' },
  { name: 'SMARTHOST_POOL_SIZE', scope: 'app', default: '5', description: 'Most concurrent SMTP connections per instance.' },
  { name: 'SMARTHOST_CONNECT_TIMEOUT_SECONDS', scope: 'app', default: '30', description: 'Time to connect and get the greeting before the attempt is deferred.' },
  { name: 'SMARTHOST_SOCKET_TIMEOUT_SECONDS', scope: 'app', default: '120', description: 'Time without any reply from the smart host before the attempt is deferred.' },
] as const satisfies readonly SettingSpec[];

export type SettingName = (typeof SETTINGS)[number]['name'];

export type SmartHostAuth = 'login' | 'plain' | 'xoauth2';

export type StorageConfig =
  | { kind: 'connectionString'; connectionString: string }
  | {
      kind: 'identity';
      blobServiceUri: string;
      queueServiceUri: string;
      tableServiceUri: string;
      /** user-assigned identity (RELAY_IDENTITY_CLIENT_ID); undefined means DefaultAzureCredential's own choice */
      clientId?: string;
    };

export interface RelayConfig {
  storage: StorageConfig;
  allowedSenderDomains: ReadonlySet<string>;
  maxRecipients: number;
  maxMessageBytes: number;
  maxRetrySeconds: number;
  retryFirstDelaySeconds: number;
  retryMaxDelaySeconds: number;
  queueName: string;
  poisonQueueName: string;
  deliveriesTable: string;
  eventsTable: string;
  idempotencyTable: string;
  bodyContainer: string;
  smartHost: {
    host: string;
    port: number;
    auth: SmartHostAuth;
    username?: string;
    password?: string;
    oauthScope: string;
    /** user-assigned managed identity for the xoauth2 token (RELAY_IDENTITY_CLIENT_ID) */
    identityClientId?: string;
    poolSize: number;
    connectTimeoutMs: number;
    socketTimeoutMs: number;
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid relay settings:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and checks every setting; throws one ConfigError that lists every problem found. */
export function loadConfig(env: Env = process.env): RelayConfig {
  const problems: string[] = [];
  const raw = (name: SettingName): string | undefined => {
    const value = env[name]?.trim();
    if (value) return value;
    const spec: SettingSpec | undefined = SETTINGS.find((s) => s.name === name);
    return spec?.default;
  };
  const text = (name: SettingName): string => {
    const value = raw(name);
    if (value === undefined) problems.push(`${name} is not set: ${describe(name)}`);
    return value ?? '';
  };
  const integer = (name: SettingName, min: number, max: number): number => {
    const value = text(name);
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      if (value !== '') problems.push(`${name} is "${value}": it must be a whole number from ${min} to ${max}`);
      return min;
    }
    return Number(value);
  };
  const resourceName = (name: SettingName, pattern: RegExp, rule: string): string => {
    const value = text(name);
    if (value && !pattern.test(value)) problems.push(`${name} is "${value}": ${rule}`);
    return value;
  };
  const queueNamePattern = /^(?!.*--)[a-z0-9][a-z0-9-]{1,55}[a-z0-9]$/;
  const tablePattern = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
  const containerPattern = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

  const storage = readStorage(env, problems);

  const domains = text('RELAY_ALLOWED_SENDER_DOMAINS')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
  if (raw('RELAY_ALLOWED_SENDER_DOMAINS') !== undefined && domains.length === 0) {
    problems.push('RELAY_ALLOWED_SENDER_DOMAINS lists no domain: give at least one, comma-separated');
  }
  for (const d of domains) {
    if (!/^[a-z0-9.-]+$/.test(d) || d.startsWith('.') || d.endsWith('.') || !d.includes('.')) {
      problems.push(`RELAY_ALLOWED_SENDER_DOMAINS has "${d}", which is not a domain name (write internationalised domains in their xn-- form)`);
    }
  }

  const auth = text('SMARTHOST_AUTH').toLowerCase();
  if (auth !== 'login' && auth !== 'plain' && auth !== 'xoauth2') {
    problems.push(`SMARTHOST_AUTH is "${auth}": it must be login, plain or xoauth2`);
  }
  const username = raw('SMARTHOST_USERNAME');
  const password = env.SMARTHOST_PASSWORD || undefined; // never trimmed: a password may end in a space
  if (!username) problems.push(`SMARTHOST_USERNAME is not set: ${describe('SMARTHOST_USERNAME')}`);
  if (auth !== 'xoauth2' && !password) {
    problems.push(`SMARTHOST_PASSWORD is not set: SMARTHOST_AUTH=${auth} needs a password`);
  }

  const queueName = resourceName('RELAY_QUEUE_NAME', queueNamePattern, 'a queue name is 3 to 56 lower-case letters, digits and single hyphens (the poison queue adds "-poison")');
  const retryFirstDelaySeconds = integer('RELAY_RETRY_FIRST_DELAY_SECONDS', 1, 86400);
  const retryMaxDelaySeconds = integer('RELAY_RETRY_MAX_DELAY_SECONDS', 1, 6 * 86400);
  if (retryMaxDelaySeconds < retryFirstDelaySeconds) {
    problems.push('RELAY_RETRY_MAX_DELAY_SECONDS is smaller than RELAY_RETRY_FIRST_DELAY_SECONDS');
  }

  const config: RelayConfig = {
    storage,
    allowedSenderDomains: new Set(domains),
    maxRecipients: integer('RELAY_MAX_RECIPIENTS', 1, 100),
    maxMessageBytes: integer('RELAY_MAX_MESSAGE_BYTES', 1024, 50 * 1024 * 1024),
    maxRetrySeconds: integer('RELAY_MAX_RETRY_SECONDS', 1, 7 * 86400),
    retryFirstDelaySeconds,
    retryMaxDelaySeconds,
    queueName,
    poisonQueueName: `${queueName}-poison`,
    deliveriesTable: resourceName('RELAY_DELIVERIES_TABLE', tablePattern, 'a table name is 3 to 63 letters and digits, starting with a letter'),
    eventsTable: resourceName('RELAY_EVENTS_TABLE', tablePattern, 'a table name is 3 to 63 letters and digits, starting with a letter'),
    idempotencyTable: resourceName('RELAY_IDEMPOTENCY_TABLE', tablePattern, 'a table name is 3 to 63 letters and digits, starting with a letter'),
    bodyContainer: resourceName('RELAY_BODY_CONTAINER', containerPattern, 'a container name is 3 to 63 lower-case letters, digits and single hyphens'),
    smartHost: {
      host: text('SMARTHOST_HOST'),
      port: integer('SMARTHOST_PORT', 1, 65535),
      auth: auth as SmartHostAuth,
      username,
      password,
      oauthScope: text('SMARTHOST_OAUTH_SCOPE'),
      identityClientId: identityClientId(env, problems),
      poolSize: integer('SMARTHOST_POOL_SIZE', 1, 100),
      connectTimeoutMs: integer('SMARTHOST_CONNECT_TIMEOUT_SECONDS', 1, 600) * 1000,
      socketTimeoutMs: integer('SMARTHOST_SOCKET_TIMEOUT_SECONDS', 1, 3600) * 1000,
    },
  };
  if (config.smartHost.port === 25) {
    problems.push('SMARTHOST_PORT is 25: Azure blocks outbound port 25; use the smart host\'s submission port (587)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readStorage(env: Env, problems: string[]): StorageConfig {
  const connectionString = env.AzureWebJobsStorage?.trim();
  if (connectionString) return { kind: 'connectionString', connectionString };
  const uris = {
    blobServiceUri: env.AzureWebJobsStorage__blobServiceUri?.trim(),
    queueServiceUri: env.AzureWebJobsStorage__queueServiceUri?.trim(),
    tableServiceUri: env.AzureWebJobsStorage__tableServiceUri?.trim(),
  };
  const missing = Object.entries(uris).filter(([, v]) => !v).map(([k]) => `AzureWebJobsStorage__${k}`);
  if (missing.length === 3) {
    // Locally the documented default applies; in Azure the template sets the identity-based form.
    return { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' };
  }
  if (missing.length > 0) {
    problems.push(`${missing.join(', ')} not set: identity-based storage needs the blob, queue and table service URIs`);
  }
  for (const [k, v] of Object.entries(uris)) {
    if (v && !/^https:\/\/[^/\s]+\/?$/.test(v)) problems.push(`AzureWebJobsStorage__${k} is "${v}": it must be an https:// service URI`);
  }
  return {
    kind: 'identity',
    blobServiceUri: uris.blobServiceUri ?? '',
    queueServiceUri: uris.queueServiceUri ?? '',
    tableServiceUri: uris.tableServiceUri ?? '',
    clientId: identityClientId(env, problems, false),
  };
}

/** RELAY_IDENTITY_CLIENT_ID, checked to be a client id (a GUID) when set; `report` once per load. */
function identityClientId(env: Env, problems: string[], report = true): string | undefined {
  const value = env.RELAY_IDENTITY_CLIENT_ID?.trim() || undefined;
  if (value && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    if (report) problems.push(`RELAY_IDENTITY_CLIENT_ID is "${value}": it must be the managed identity's client id, a GUID`);
    return undefined;
  }
  return value;
}

function describe(name: SettingName): string {
  const spec: SettingSpec | undefined = SETTINGS.find((s) => s.name === name);
  return spec?.description ?? '';
}

/** Settings the Azure deployment must provide (everything not local-only). */
export function appSettingNames(): string[] {
  return SETTINGS.filter((s) => s.scope === 'app').map((s) => s.name);
}
