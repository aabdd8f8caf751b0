// Every setting the relay reads, in one place. Nothing else in the code reads process.env: the
// catalogue below is what docs/settings.md documents and what infra/main.bicep must set.
import type { BreakerThresholds } from './core/breaker';
import type { CoolOffRule } from './core/coolOff';
import type { DkimKey } from './core/dkim/sign';
import type { DeliveryPolicy } from './core/policy/types';
import { loadDkimKeys } from './dkimKeys';
import { readDeliveryPolicy } from './policyFile';
import { readSmartHostSettings } from './smartHostSettings';
import { unsubscribeKeyProblem } from './core/unsubscribeToken';

export type SettingScope =
  /** set by infra/main.bicep in Azure as well as read locally */
  | 'app'
  /** only meaningful for the local host (`npm start`, tests) */
  | 'local';

/** What a setting's value may be; loadConfig's checks are derived from it, and docs/settings.md shows it. */
export type SettingType =
  /** any text */
  | { readonly kind: 'text' }
  /** a whole number in [min, max] */
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  /** one of the values, compared case-insensitively */
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  /** a number, fractions allowed, in [min, max] */
  | { readonly kind: 'decimal'; readonly min: number; readonly max: number }
  /** a comma-separated list of at least one domain name */
  | { readonly kind: 'domain-list' }
  /** one domain name */
  | { readonly kind: 'domain' }
  /** an https:// base URL (http:// only for a loopback address, for the local host) */
  | { readonly kind: 'base-url' }
  /** a secret of at least `minLength` characters */
  | { readonly kind: 'secret'; readonly minLength: number }
  /** an https:// service URI (scheme and host only) */
  | { readonly kind: 'https-uri' }
  /** a client id: a GUID */
  | { readonly kind: 'guid' }
  /** an Azure Storage resource name */
  | { readonly kind: 'name'; readonly pattern: RegExp; readonly rule: string };

const QUEUE_NAME = {
  kind: 'name',
  pattern: /^(?!.*--)[a-z0-9][a-z0-9-]{1,55}[a-z0-9]$/,
  rule: 'a queue name is 3 to 56 lower-case letters, digits and single hyphens (the poison queue adds "-poison")',
} as const;
const TABLE_NAME = {
  kind: 'name',
  pattern: /^[A-Za-z][A-Za-z0-9]{2,62}$/,
  rule: 'a table name is 3 to 63 letters and digits, starting with a letter',
} as const;
const CONTAINER_NAME = {
  kind: 'name',
  pattern: /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
  rule: 'a container name is 3 to 63 lower-case letters, digits and single hyphens',
} as const;

export interface SettingSpec {
  readonly name: string;
  readonly scope: SettingScope;
  readonly type: SettingType;
  /** default used when the setting is absent; undefined means "required" or "optional, no default" */
  readonly default?: string;
  /** value the local host (`npm start`, tests) supplies when neither env nor local.settings.json has one */
  readonly localDefault?: string;
  readonly required?: boolean;
  readonly secret?: boolean;
  readonly description: string;
}

export const SETTINGS = [
  {
    name: 'AzureWebJobsStorage',
    scope: 'local',
    type: { kind: 'text' },
    default: 'UseDevelopmentStorage=true',
    description: 'Storage connection string. In Azure the app uses the identity-based AzureWebJobsStorage__* settings instead.',
  },
  {
    name: 'AzureWebJobsStorage__blobServiceUri',
    scope: 'app',
    type: { kind: 'https-uri' },
    description: 'Blob endpoint for identity-based storage access (used when no connection string is set).',
  },
  { name: 'AzureWebJobsStorage__queueServiceUri', scope: 'app', type: { kind: 'https-uri' }, description: 'Queue endpoint for identity-based storage access.' },
  { name: 'AzureWebJobsStorage__tableServiceUri', scope: 'app', type: { kind: 'https-uri' }, description: 'Table endpoint for identity-based storage access.' },
  {
    name: 'AzureWebJobsStorage__credential',
    scope: 'app',
    type: { kind: 'text' },
    description: '"managedidentity" in Azure: storage is reached with a managed identity.',
  },
  {
    name: 'AzureWebJobsStorage__clientId',
    scope: 'app',
    type: { kind: 'text' },
    description: 'Client id of the user-assigned managed identity used for storage.',
  },
  {
    name: 'RELAY_IDENTITY_CLIENT_ID',
    scope: 'app',
    type: { kind: 'guid' },
    description:
      "Client id of the user-assigned managed identity the relay code takes tokens as (storage clients, SMTP XOAUTH2). Unset: DefaultAzureCredential's own choice (a developer sign-in, say).",
  },
  {
    name: 'RELAY_LOCAL_FUNCTION_KEY',
    scope: 'local',
    type: { kind: 'text' },
    default: 'local-dev-key',
    secret: true,
    description:
      "The local host's default host key (x-functions-key or ?code=): it opens every function of authLevel function, not admin. In Azure the platform manages keys.",
  },
  {
    name: 'RELAY_LOCAL_ADMIN_KEY',
    scope: 'local',
    type: { kind: 'text' },
    default: 'local-admin-key',
    secret: true,
    description: "The local host's master key: the only key that opens authLevel admin functions (it opens the others too). Must differ from every other key.",
  },
  {
    name: 'RELAY_LOCAL_FUNCTION_KEYS',
    scope: 'local',
    type: { kind: 'text' },
    secret: true,
    description:
      'Per-function keys for the local host, as JSON: {"sendMessage": "key"} or {"sendMessage": ["key-1", "key-2"]}; each opens its own function only.',
  },
  {
    name: 'RELAY_LOCAL_PORT',
    scope: 'local',
    type: { kind: 'int', min: 0, max: 65535 },
    default: '7071',
    description: 'Port of the local function host (`npm start`).',
  },
  {
    name: 'RELAY_LOCAL_QUEUE_LEASE_SECONDS',
    scope: 'local',
    type: { kind: 'int', min: 1, max: 7 * 86400 },
    default: '600',
    description:
      'How long the local host keeps a queue message it is processing invisible (renewed at half that); after a crash its messages reappear once this has passed. 600 mirrors the Functions host; tests shorten it.',
  },
  {
    name: 'RELAY_LOCAL_DATA_DIR',
    scope: 'local',
    type: { kind: 'text' },
    default: '.local',
    description: "Folder for Azurite data and the development smart host's .eml files and certificate.",
  },
  {
    name: 'RELAY_ALLOWED_SENDER_DOMAINS',
    scope: 'app',
    type: { kind: 'domain-list' },
    required: true,
    localDefault: 'example.com,example.jp',
    description: 'Comma-separated domains that may appear in "from" (exact match, case-insensitive).',
  },
  {
    name: 'RELAY_MAX_RECIPIENTS',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 100 },
    default: '100',
    description: 'Most recipients (to + cc + bcc) in one message; 1 to 100.',
  },
  {
    name: 'RELAY_MAX_MESSAGE_BYTES',
    scope: 'app',
    type: { kind: 'int', min: 1024, max: 50 * 1024 * 1024 },
    default: '10485760',
    description: 'Largest accepted request body and composed message, in bytes.',
  },
  {
    name: 'RELAY_MAX_RETRY_SECONDS',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 7 * 86400 },
    default: '86400',
    description: 'How long a deferred recipient is retried, from when it was queued, before it is failed.',
  },
  {
    name: 'RELAY_RETRY_FIRST_DELAY_SECONDS',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 86400 },
    default: '60',
    description: 'Delay before the first retry of a deferred recipient; each later retry doubles it.',
  },
  {
    name: 'RELAY_RETRY_MAX_DELAY_SECONDS',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 6 * 86400 },
    default: '3600',
    description: 'Longest delay between two retries.',
  },
  {
    name: 'RELAY_QUEUE_NAME',
    scope: 'app',
    type: QUEUE_NAME,
    default: 'deliveries',
    description: 'Storage queue of deliveries; its poison queue is "<name>-poison".',
  },
  {
    name: 'RELAY_DELIVERIES_TABLE',
    scope: 'app',
    type: TABLE_NAME,
    default: 'deliveries',
    description: 'Table with one row per recipient (PartitionKey = message id).',
  },
  {
    name: 'RELAY_EVENTS_TABLE',
    scope: 'app',
    type: TABLE_NAME,
    default: 'deliveryevents',
    description: 'Table with one row per delivery outcome (PartitionKey = UTC hour yyyyMMddHH).',
  },
  {
    name: 'RELAY_IDEMPOTENCY_TABLE',
    scope: 'app',
    type: TABLE_NAME,
    default: 'idempotency',
    description: 'Table that remembers Idempotency-Key answers for 24 hours.',
  },
  {
    name: 'RELAY_BODY_CONTAINER',
    scope: 'app',
    type: CONTAINER_NAME,
    default: 'messages',
    description: 'Blob container holding each composed message (.eml).',
  },
  {
    name: 'RELAY_SUPPRESSIONS_TABLE',
    scope: 'app',
    type: TABLE_NAME,
    default: 'suppressions',
    description: 'Table of suppressed addresses (PartitionKey = address in lower case, RowKey = scope: "all" or a sender domain).',
  },
  {
    name: 'RELAY_SENDERS_TABLE',
    scope: 'app',
    type: TABLE_NAME,
    default: 'senders',
    description: "Table of the bounce-rate breaker's counts and pauses (PartitionKey = sender domain).",
  },
  {
    name: 'RELAY_SHAPING_TABLE',
    scope: 'app',
    type: TABLE_NAME,
    default: 'shaping',
    description: "Table of the delivery policy's shared state: rate slots and in-flight leases per destination, smart host and warm-up.",
  },
  {
    name: 'RELAY_SUSPENSIONS_TABLE',
    scope: 'app',
    type: TABLE_NAME,
    default: 'suspensions',
    description: 'Table of suspended (or slowed) destinations and smart hosts, with their expiry, and the reaction counts that trigger them.',
  },
  {
    name: 'RELAY_MESSAGE_INDEX_TABLE',
    scope: 'app',
    type: TABLE_NAME,
    default: 'messageindex',
    description: "Table that lists messages newest first for the operators' list and dashboard (PartitionKey = the UTC hour of acceptance).",
  },
  {
    name: 'RELAY_POLICY_FILE',
    scope: 'app',
    type: { kind: 'text' },
    description:
      'Path of the delivery policy file (JSON, see docs/policy.md); relative paths are from the app root. Unset: relay-policy.json at the app root when it exists.',
  },
  {
    name: 'RELAY_POLICY_JSON',
    scope: 'app',
    type: { kind: 'text' },
    description: 'The delivery policy itself as JSON, for deployments that ship no file; RELAY_POLICY_FILE and this cannot both be set.',
  },
  {
    name: 'RELAY_SENDGRID_API_KEY',
    scope: 'app',
    type: { kind: 'secret', minLength: 16 },
    secret: true,
    localDefault: 'local-sendgrid-api-key',
    description:
      'The key apps written for SendGrid send with (Authorization: Bearer) to the SendGrid drop-in endpoint; in Azure a Key Vault reference. Unset: that endpoint answers 503.',
  },
  {
    name: 'RELAY_ACS_ACCESS_KEY',
    scope: 'app',
    type: { kind: 'secret', minLength: 32 },
    secret: true,
    localDefault: 'bG9jYWwtYWNzLWFjY2Vzcy1rZXktbm90LWZvci1wcm9kdWN0aW9uLW9ubHk=',
    description:
      'Base64 access key that apps using @azure/communication-email sign with (HMAC-SHA256) for the ACS drop-in endpoints; in Azure a Key Vault reference. Unset: those endpoints answer 503.',
  },
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING',
    scope: 'app',
    type: { kind: 'text' },
    description:
      "Application Insights component the relay's delivery metrics (relay.recipients, relay.delivery.duration) are exported to, every minute; unset (locally): they are not exported.",
  },
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    scope: 'app',
    type: { kind: 'text' },
    description:
      '"ClientId=<identity client id>;Authorization=AAD": the metrics are sent with the relay\'s managed identity (Entra ID), as the template sets up.',
  },
  {
    name: 'RELAY_SUPPRESSION_DAYS',
    scope: 'app',
    type: { kind: 'int', min: 0, max: 3650 },
    default: '30',
    description: 'How long a bounce or complaint keeps an address on the suppression list; 0 = until an operator removes it.',
  },
  {
    name: 'RELAY_BOUNCE_WARN_PERCENT',
    scope: 'app',
    type: { kind: 'decimal', min: 0.01, max: 100 },
    default: '5',
    description: "Hard-bounce rate of a sender domain (invalid-recipient bounces per attempt, over the breaker's window) above which the relay warns.",
  },
  {
    name: 'RELAY_BOUNCE_PAUSE_PERCENT',
    scope: 'app',
    type: { kind: 'decimal', min: 0.01, max: 100 },
    default: '10',
    description: 'Hard-bounce rate above which the sender domain is paused (its mail accepted and held) until an operator resumes it.',
  },
  {
    name: 'RELAY_COMPLAINT_WARN_PERCENT',
    scope: 'app',
    type: { kind: 'decimal', min: 0.01, max: 100 },
    default: '0.1',
    description: 'Complaint rate of a sender domain above which the relay warns.',
  },
  {
    name: 'RELAY_COMPLAINT_PAUSE_PERCENT',
    scope: 'app',
    type: { kind: 'decimal', min: 0.01, max: 100 },
    default: '0.5',
    description: 'Complaint rate above which the sender domain is paused.',
  },
  {
    name: 'RELAY_BREAKER_MIN_VOLUME',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 1_000_000 },
    default: '100',
    description: 'Fewest attempts in the window before a rate can pause a sender domain (a warning needs none).',
  },
  {
    name: 'RELAY_BREAKER_WINDOW_HOURS',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 168 },
    default: '24',
    description: "The breaker's rolling window; counting also restarts when an operator resumes the domain.",
  },
  {
    name: 'RELAY_HOLD_RECHECK_SECONDS',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 3600 },
    default: '60',
    description: 'How often a recipient held by a policy (a paused sender) is looked at again; a resume releases it within this time.',
  },
  {
    name: 'RELAY_BOUNCE_DOMAIN',
    scope: 'app',
    type: { kind: 'domain' },
    description:
      'When set, the envelope sender is a VERP address bounces+<message id>.<recipient tag>@<this domain>, so a bounce matches its recipient even if an upstream rewrites Message-ID.',
  },
  {
    name: 'RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY',
    scope: 'app',
    type: { kind: 'text' },
    description: "SendGrid Event Webhook's verification key (base64 DER or PEM, ECDSA P-256). Unset: POST /api/v1/events/sendgrid answers 503.",
  },
  {
    name: 'RELAY_ACS_EVENTS_SECRET',
    scope: 'app',
    type: { kind: 'secret', minLength: 32 },
    secret: true,
    description:
      'Secret the Event Grid subscription sends with ACS delivery reports (header x-relay-events-secret or ?secret=). Unset: POST /api/v1/events/acs answers 503.',
  },
  {
    name: 'RELAY_EVENT_MAX_AGE_SECONDS',
    scope: 'app',
    type: { kind: 'int', min: 60, max: 86400 },
    default: '600',
    description: 'Signed upstream events whose signature timestamp is older than this (or this far in the future) are refused as replays.',
  },
  {
    name: 'RELAY_PUBLIC_URL',
    scope: 'app',
    type: { kind: 'base-url' },
    description:
      "The app's public base URL (https://<app>.azurewebsites.net), used in List-Unsubscribe links. Locally, when unset, the local host's own address (http://127.0.0.1:<port>, the port it listens on). Unset in Azure: a send asking for unsubscribe headers is refused (400).",
  },
  {
    name: 'RELAY_UNSUBSCRIBE_SECRET',
    scope: 'app',
    type: { kind: 'secret', minLength: 32 },
    secret: true,
    localDefault: 'local-unsubscribe-secret-not-for-production',
    description:
      'HMAC key of the unsubscribe tokens; in Azure a Key Vault reference. Several keys, comma-separated, rotate it: the first signs, every one verifies (links already sent keep working). Unset: a send asking for unsubscribe headers is refused (400).',
  },
  {
    name: 'SMARTHOST_HOST',
    scope: 'app',
    type: { kind: 'text' },
    required: true,
    description: 'Smart host name (its TLS certificate must match it). Locally, when unset, `npm start` runs the development smart host.',
  },
  {
    name: 'SMARTHOST_PORT',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 65535 },
    default: '587',
    description: 'Smart host submission port (STARTTLS is required).',
  },
  {
    name: 'SMARTHOST_AUTH',
    scope: 'app',
    type: { kind: 'enum', values: ['login', 'plain', 'xoauth2'] },
    default: 'login',
    description: '"login" or "plain" (username and password) or "xoauth2" (token from @azure/identity).',
  },
  {
    name: 'SMARTHOST_USERNAME',
    scope: 'app',
    type: { kind: 'text' },
    required: true,
    description: 'SMTP AUTH user name (for xoauth2, the mailbox or principal the token is for).',
  },
  {
    name: 'SMARTHOST_PASSWORD',
    scope: 'app',
    type: { kind: 'text' },
    secret: true,
    description: 'SMTP AUTH password (required unless SMARTHOST_AUTH=xoauth2); in Azure a Key Vault reference.',
  },
  {
    name: 'SMARTHOST_OAUTH_SCOPE',
    scope: 'app',
    type: { kind: 'text' },
    default: 'https://outlook.office365.com/.default',
    description: 'Token scope requested for xoauth2.',
  },
  {
    name: 'SMARTHOST_POOL_SIZE',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 100 },
    default: '5',
    description: 'Most concurrent SMTP connections per instance.',
  },
  {
    name: 'SMARTHOST_CONNECT_TIMEOUT_SECONDS',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 45 },
    default: '30',
    description: 'Time to connect, to get the greeting, and to wait for a free pooled connection (each) before the attempt is deferred.',
  },
  {
    name: 'SMARTHOST_SOCKET_TIMEOUT_SECONDS',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 140 },
    default: '120',
    description: 'Time without any reply from the smart host before the attempt is deferred.',
  },
  {
    name: 'RELAY_SMARTHOST_COOLOFF_FAILURES',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 1000 },
    default: '3',
    description:
      "Failures in a row (connection, timeout, TLS, auth, the host's own 4xx) after which a smart host cools off: it is skipped, on every instance, for RELAY_SMARTHOST_COOLOFF_SECONDS.",
  },
  {
    name: 'RELAY_SMARTHOST_COOLOFF_SECONDS',
    scope: 'app',
    type: { kind: 'int', min: 1, max: 86400 },
    default: '300',
    description:
      'How long a failing smart host is skipped; then it is tried again, and its next failure cools it off again at once while its next reply clears it.',
  },
] as const satisfies readonly SettingSpec[];

export type SettingName = (typeof SETTINGS)[number]['name'];

/**
 * host.json functionTimeout, which the local host enforces as Azure does (a test holds them together).
 * A delivery attempt must end well before it: see deliveryAttemptBoundMs.
 */
export const FUNCTION_TIMEOUT_MS = 10 * 60 * 1000;
/** What an invocation needs besides its SMTP transaction: storage reads and writes, and slack. */
export const FUNCTION_TIMEOUT_MARGIN_MS = 60_000;

/**
 * The longest one delivery attempt may take at the configured timeouts: waiting for a free pooled
 * connection, connect and greeting (a connect timeout each), then up to three silent stretches, plus
 * 30 s. A recipient's lease lasts this long, so a live sender is never overtaken, and the invocation
 * must still end well before functionTimeout.
 */
export function deliveryAttemptBoundMs(smartHost: Pick<RelayConfig['smartHost'], 'connectTimeoutMs' | 'socketTimeoutMs'>): number {
  return smartHost.connectTimeoutMs * 3 + smartHost.socketTimeoutMs * 3 + 30_000;
}

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
  suppressionsTable: string;
  sendersTable: string;
  shapingTable: string;
  suspensionsTable: string;
  messageIndexTable: string;
  /** relay-policy.json or RELAY_POLICY_JSON, checked, presets applied */
  policy: DeliveryPolicy;
  /** the policy's DKIM keys, read from the settings it names and checked, by lower-case sender domain */
  dkimKeys: ReadonlyMap<string, DkimKey>;
  dropIns: {
    sendgridApiKey?: string;
    /** base64, as ACS hands out its keys */
    acsAccessKey?: string;
  };
  /** RELAY_SUPPRESSION_DAYS; 0 = never expires */
  suppressionDays: number;
  breaker: BreakerThresholds;
  holdRecheckSeconds: number;
  /** RELAY_BOUNCE_DOMAIN: VERP return paths when set */
  bounceDomain?: string;
  events: {
    sendgridPublicKey?: string;
    acsSecret?: string;
    maxAgeSeconds: number;
  };
  telemetry: {
    connectionString?: string;
    /** the managed identity's client id when the metrics authenticate with Entra ID */
    entraClientId?: string;
    entra: boolean;
  };
  /** RELAY_PUBLIC_URL without a trailing slash */
  publicUrl?: string;
  unsubscribeSecret?: string;
  /** every smart host of the policy by name, `default` (the `smartHost` above) included; see src/smartHostSettings.ts */
  smartHostConnections: ReadonlyMap<string, RelayConfig['smartHost']>;
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
  /** RELAY_SMARTHOST_COOLOFF_*: when a failing smart host is skipped, and for how long */
  smartHostCoolOff: CoolOffRule;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid relay settings:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The problems with one value of a setting, judged by its spec's type; none when it is fine. */
export function settingProblems(spec: SettingSpec, value: string): string[] {
  const type = spec.type;
  const name = spec.name;
  switch (type.kind) {
    case 'text':
      return [];
    case 'int':
      return /^\d+$/.test(value) && Number(value) >= type.min && Number(value) <= type.max
        ? []
        : [`${name} is "${value}": it must be a whole number from ${type.min} to ${type.max}`];
    case 'enum':
      return type.values.includes(value.toLowerCase()) ? [] : [`${name} is "${value.toLowerCase()}": it must be ${orList(type.values)}`];
    case 'decimal':
      return /^\d+(\.\d+)?$/.test(value) && Number(value) >= type.min && Number(value) <= type.max
        ? []
        : [`${name} is "${value}": it must be a number from ${type.min} to ${type.max}`];
    case 'domain':
      return isDomainName(value.toLowerCase()) ? [] : [`${name} is "${value}": it must be a domain name (internationalised domains in their xn-- form)`];
    case 'base-url':
      return /^https:\/\/[^/\s]+(\/[^\s]*)?$/.test(value) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/[^\s]*)?$/.test(value)
        ? []
        : [`${name} is "${value}": it must be an https:// URL (http:// only for 127.0.0.1 or localhost)`];
    case 'secret':
      return value.length >= type.minLength ? [] : [`${name} is ${value.length} characters long: it must be at least ${type.minLength}`];
    case 'domain-list': {
      const domains = domainList(value);
      if (domains.length === 0) return [`${name} lists no domain: give at least one, comma-separated`];
      return domains
        .filter((d) => !isDomainName(d))
        .map((d) => `${name} has "${d}", which is not a domain name (write internationalised domains in their xn-- form)`);
    }
    case 'https-uri':
      return /^https:\/\/[^/\s]+\/?$/.test(value) ? [] : [`${name} is "${value}": it must be an https:// service URI`];
    case 'guid':
      return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
        ? []
        : [`${name} is "${value}": it must be the managed identity's client id, a GUID`];
    case 'name':
      return type.pattern.test(value) ? [] : [`${name} is "${value}": ${type.rule}`];
  }
}

function isDomainName(d: string): boolean {
  return /^[a-z0-9.-]+$/.test(d) && !d.startsWith('.') && !d.endsWith('.') && d.includes('.');
}

function orList(values: readonly string[]): string {
  return values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}` : values.join('');
}

function domainList(value: string): string[] {
  return value
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
}

export function settingSpec(name: SettingName): SettingSpec {
  const spec: SettingSpec | undefined = SETTINGS.find((s) => s.name === name);
  if (!spec) throw new Error(`no setting ${name} in SETTINGS`);
  return spec;
}

/** Reads and checks every setting; throws one ConfigError that lists every problem found. */
export function loadConfig(env: Env = process.env): RelayConfig {
  const problems: string[] = [];
  const raw = (name: SettingName): string | undefined => env[name]?.trim() || settingSpec(name).default;
  /** The value, checked against its spec; undefined (and a problem, if it is required) when unset. */
  const checked = (name: SettingName): string | undefined => {
    const spec = settingSpec(name);
    const value = raw(name);
    if (value === undefined) {
      if (spec.required) problems.push(`${name} is not set: ${spec.description}`);
      return undefined;
    }
    const found = settingProblems(spec, value);
    problems.push(...found);
    return found.length === 0 ? value : undefined;
  };
  const text = (name: SettingName): string => checked(name) ?? raw(name) ?? '';
  const decimal = (name: SettingName): number => {
    const type = settingSpec(name).type;
    if (type.kind !== 'decimal') throw new Error(`${name} is not a number setting`);
    const value = checked(name);
    return value === undefined ? type.min : Number(value);
  };
  const secret = (name: SettingName): string | undefined => {
    // never trimmed, like the SMTP password
    const value = env[name] || settingSpec(name).default;
    // An unresolved Key Vault reference reaches the app as its own text, which is public (it is in
    // the template): used as a key it would let anyone sign. It counts as unset, and check-app.sh
    // reports the reference after a deploy.
    if (value === undefined || value.startsWith('@Microsoft.KeyVault(')) return undefined;
    const found = settingProblems(settingSpec(name), value);
    problems.push(...found);
    return found.length === 0 ? value : undefined;
  };
  const integer = (name: SettingName): number => {
    const type = settingSpec(name).type;
    if (type.kind !== 'int') throw new Error(`${name} is not a whole-number setting`);
    const value = checked(name);
    return value === undefined ? type.min : Number(value);
  };

  const identityClientId = checked('RELAY_IDENTITY_CLIENT_ID');
  const storage = readStorage(env, problems, identityClientId);
  const domains = domainList(checked('RELAY_ALLOWED_SENDER_DOMAINS') ?? '');

  const auth = text('SMARTHOST_AUTH').toLowerCase();
  const username = checked('SMARTHOST_USERNAME');
  const password = env.SMARTHOST_PASSWORD || undefined; // never trimmed: a password may end in a space
  if (auth !== 'xoauth2' && !password) {
    problems.push(`SMARTHOST_PASSWORD is not set: SMARTHOST_AUTH=${auth} needs a password`);
  }

  const queueName = text('RELAY_QUEUE_NAME');
  const retryFirstDelaySeconds = integer('RELAY_RETRY_FIRST_DELAY_SECONDS');
  const retryMaxDelaySeconds = integer('RELAY_RETRY_MAX_DELAY_SECONDS');
  if (retryMaxDelaySeconds < retryFirstDelaySeconds) {
    problems.push('RELAY_RETRY_MAX_DELAY_SECONDS is smaller than RELAY_RETRY_FIRST_DELAY_SECONDS');
  }

  const config: RelayConfig = {
    storage,
    allowedSenderDomains: new Set(domains),
    maxRecipients: integer('RELAY_MAX_RECIPIENTS'),
    maxMessageBytes: integer('RELAY_MAX_MESSAGE_BYTES'),
    maxRetrySeconds: integer('RELAY_MAX_RETRY_SECONDS'),
    retryFirstDelaySeconds,
    retryMaxDelaySeconds,
    queueName,
    poisonQueueName: `${queueName}-poison`,
    deliveriesTable: text('RELAY_DELIVERIES_TABLE'),
    eventsTable: text('RELAY_EVENTS_TABLE'),
    idempotencyTable: text('RELAY_IDEMPOTENCY_TABLE'),
    bodyContainer: text('RELAY_BODY_CONTAINER'),
    suppressionsTable: text('RELAY_SUPPRESSIONS_TABLE'),
    sendersTable: text('RELAY_SENDERS_TABLE'),
    shapingTable: text('RELAY_SHAPING_TABLE'),
    suspensionsTable: text('RELAY_SUSPENSIONS_TABLE'),
    messageIndexTable: text('RELAY_MESSAGE_INDEX_TABLE'),
    ...withDkimKeys(readDeliveryPolicy({ file: checked('RELAY_POLICY_FILE'), json: checked('RELAY_POLICY_JSON') }, problems), env, problems),
    dropIns: {
      sendgridApiKey: secret('RELAY_SENDGRID_API_KEY'),
      acsAccessKey: secret('RELAY_ACS_ACCESS_KEY'),
    },
    suppressionDays: integer('RELAY_SUPPRESSION_DAYS'),
    breaker: {
      bounceWarnPercent: decimal('RELAY_BOUNCE_WARN_PERCENT'),
      bouncePausePercent: decimal('RELAY_BOUNCE_PAUSE_PERCENT'),
      complaintWarnPercent: decimal('RELAY_COMPLAINT_WARN_PERCENT'),
      complaintPausePercent: decimal('RELAY_COMPLAINT_PAUSE_PERCENT'),
      minVolume: integer('RELAY_BREAKER_MIN_VOLUME'),
      windowHours: integer('RELAY_BREAKER_WINDOW_HOURS'),
    },
    holdRecheckSeconds: integer('RELAY_HOLD_RECHECK_SECONDS'),
    bounceDomain: checked('RELAY_BOUNCE_DOMAIN')?.toLowerCase(),
    events: {
      sendgridPublicKey: checked('RELAY_SENDGRID_WEBHOOK_PUBLIC_KEY'),
      acsSecret: secret('RELAY_ACS_EVENTS_SECRET'),
      maxAgeSeconds: integer('RELAY_EVENT_MAX_AGE_SECONDS'),
    },
    telemetry: readTelemetry(checked('APPLICATIONINSIGHTS_CONNECTION_STRING'), checked('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')),
    publicUrl: checked('RELAY_PUBLIC_URL')?.replace(/\/+$/, ''),
    unsubscribeSecret: secret('RELAY_UNSUBSCRIBE_SECRET'),
    smartHost: {
      host: text('SMARTHOST_HOST'),
      port: integer('SMARTHOST_PORT'),
      auth: auth as SmartHostAuth,
      username,
      password,
      oauthScope: text('SMARTHOST_OAUTH_SCOPE'),
      identityClientId,
      poolSize: integer('SMARTHOST_POOL_SIZE'),
      connectTimeoutMs: integer('SMARTHOST_CONNECT_TIMEOUT_SECONDS') * 1000,
      socketTimeoutMs: integer('SMARTHOST_SOCKET_TIMEOUT_SECONDS') * 1000,
    },
    smartHostCoolOff: {
      failures: integer('RELAY_SMARTHOST_COOLOFF_FAILURES'),
      seconds: integer('RELAY_SMARTHOST_COOLOFF_SECONDS'),
    },
    smartHostConnections: new Map(),
  };
  config.smartHostConnections = readSmartHostSettings(config.policy, env, config.smartHost, problems);
  const attemptBoundMs = deliveryAttemptBoundMs(config.smartHost);
  if (attemptBoundMs + FUNCTION_TIMEOUT_MARGIN_MS > FUNCTION_TIMEOUT_MS) {
    problems.push(
      `SMARTHOST_CONNECT_TIMEOUT_SECONDS (${config.smartHost.connectTimeoutMs / 1000}) and SMARTHOST_SOCKET_TIMEOUT_SECONDS (${config.smartHost.socketTimeoutMs / 1000}) let one delivery attempt take ${attemptBoundMs / 1000} s (3 × connect + 3 × socket + 30), ` +
        `which is not well below the functionTimeout of ${FUNCTION_TIMEOUT_MS / 1000} s in host.json: keep it at most ${(FUNCTION_TIMEOUT_MS - FUNCTION_TIMEOUT_MARGIN_MS) / 1000} s, or Azure stops the invocation (and every other one in its worker) mid-send`,
    );
  }
  if (config.breaker.bouncePausePercent < config.breaker.bounceWarnPercent) {
    problems.push('RELAY_BOUNCE_PAUSE_PERCENT is smaller than RELAY_BOUNCE_WARN_PERCENT: a sender would be paused before it is warned');
  }
  if (config.breaker.complaintPausePercent < config.breaker.complaintWarnPercent) {
    problems.push('RELAY_COMPLAINT_PAUSE_PERCENT is smaller than RELAY_COMPLAINT_WARN_PERCENT: a sender would be paused before it is warned');
  }
  const unsubscribeKeys = config.unsubscribeSecret === undefined ? undefined : unsubscribeKeyProblem(config.unsubscribeSecret);
  if (unsubscribeKeys) problems.push(`RELAY_UNSUBSCRIBE_SECRET ${unsubscribeKeys}`);
  if (config.smartHost.port === 25) {
    problems.push("SMARTHOST_PORT is 25: Azure blocks outbound port 25; use the smart host's submission port (587)");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The policy and the keys its `dkim` entries name (src/dkimKeys.ts). */
function withDkimKeys(policy: DeliveryPolicy, env: Env, problems: string[]): Pick<RelayConfig, 'policy' | 'dkimKeys'> {
  return { policy, dkimKeys: loadDkimKeys(policy.dkim, env, problems, new Set(SETTINGS.map((s) => s.name))) };
}

/** The metrics' destination; the authentication string is the one the Functions host itself reads. */
function readTelemetry(connectionString: string | undefined, authentication: string | undefined): RelayConfig['telemetry'] {
  const parts = new Map(
    (authentication ?? '')
      .split(';')
      .map((p) => p.split('=').map((x) => x.trim()))
      .filter((kv): kv is [string, string] => kv.length === 2)
      .map(([k, v]) => [k.toLowerCase(), v]),
  );
  const entra = parts.get('authorization')?.toLowerCase() === 'aad';
  return { connectionString, entra, entraClientId: entra ? parts.get('clientid') : undefined };
}

function readStorage(env: Env, problems: string[], clientId: string | undefined): StorageConfig {
  const connectionString = env.AzureWebJobsStorage?.trim();
  if (connectionString) return { kind: 'connectionString', connectionString };
  const uris = {
    blobServiceUri: env.AzureWebJobsStorage__blobServiceUri?.trim(),
    queueServiceUri: env.AzureWebJobsStorage__queueServiceUri?.trim(),
    tableServiceUri: env.AzureWebJobsStorage__tableServiceUri?.trim(),
  };
  const missing = Object.entries(uris)
    .filter(([, v]) => !v)
    .map(([k]) => `AzureWebJobsStorage__${k}`);
  if (missing.length === 3) {
    // Locally the documented default applies; in Azure the template sets the identity-based form.
    return { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' };
  }
  if (missing.length > 0) {
    problems.push(`${missing.join(', ')} not set: identity-based storage needs the blob, queue and table service URIs`);
  }
  for (const [k, v] of Object.entries(uris)) {
    if (v) problems.push(...settingProblems(settingSpec(`AzureWebJobsStorage__${k}` as SettingName), v));
  }
  return {
    kind: 'identity',
    blobServiceUri: uris.blobServiceUri ?? '',
    queueServiceUri: uris.queueServiceUri ?? '',
    tableServiceUri: uris.tableServiceUri ?? '',
    clientId,
  };
}

/** Settings the Azure deployment must provide (everything not local-only). */
export function appSettingNames(): string[] {
  return SETTINGS.filter((s) => s.scope === 'app').map((s) => s.name);
}
