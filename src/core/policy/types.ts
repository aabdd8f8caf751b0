// The delivery policy as the relay uses it: relay-policy.json (or RELAY_POLICY_JSON) after it was
// checked and its presets applied (see ./check.ts). Pure data; every number is already resolved, so
// the hot path never parses "30/min" again. Shapes follow the contract's "Delivery policy".

/** At most `count` sends in any `seconds`-long window, spread evenly over it (never a burst). */
export interface RateWindow {
  readonly count: number;
  readonly seconds: number;
  /** as written in the policy ("30/min"), for messages and the status */
  readonly text: string;
}

/** A daily window in a time zone; outside it, recipients wait for it to open. */
export interface DailyHours {
  /** "08:00" */
  readonly from: string;
  /** "21:00"; a window may run past midnight (from "22:00" to "06:00") */
  readonly to: string;
  /** an IANA time zone, e.g. "Asia/Tokyo" */
  readonly timeZone: string;
}

/** A named group of recipient domains and the limits its mail is sent under. */
export interface Destination {
  readonly name: string;
  /** lower case, A-label (xn--) form */
  readonly domains: readonly string[];
  /** the built-in preset it started from, if any */
  readonly preset?: string;
  readonly rate: readonly RateWindow[];
  /** attempts in flight at once, across every instance */
  readonly concurrency?: number;
  readonly hours?: DailyHours;
  /** how long its mail may wait before it is failed (shorter than RELAY_MAX_RETRY_SECONDS for carriers) */
  readonly lifetimeSeconds?: number;
  readonly maxMessageBytes?: number;
  /** compose its mail in this charset instead of UTF-8 (legacy Japanese handsets: `iso-2022-jp`) */
  readonly charset?: DestinationCharset;
}

export const DESTINATION_CHARSETS = ['iso-2022-jp'] as const;
export type DestinationCharset = (typeof DESTINATION_CHARSETS)[number];

/** How the relay reaches a smart host other than the SMARTHOST_* one (the default reads those settings). */
export interface SmartHostConnection {
  readonly host: string;
  readonly port: number;
  readonly auth: 'login' | 'plain' | 'xoauth2';
  readonly username?: string;
  /** the name of the app setting holding its password (in Azure a Key Vault reference); not the secret */
  readonly passwordSetting?: string;
  /** for xoauth2: the token scope, and the user-assigned identity's client id if not the relay's own */
  readonly oauthScope?: string;
  readonly identityClientId?: string;
  /** connections kept open to it; SMARTHOST_POOL_SIZE when absent */
  readonly poolSize?: number;
}

/** The limits a smart host sets for the relay's own account there. */
export interface SmartHostLimits {
  readonly name: string;
  /** the shipped profile it started from (e.g. `acs-custom-domain`), if any */
  readonly profile?: string;
  readonly rate: readonly RateWindow[];
  readonly concurrency?: number;
  /** absent for `default`, which the SMARTHOST_* settings describe */
  readonly connection?: SmartHostConnection;
}

/** Which smart hosts, in failover order, carry the recipients it matches; every given condition must hold. */
export interface Route {
  readonly match: {
    /** lower case; a parent domain covers its subdomains, as destinations do */
    readonly recipientDomains?: readonly string[];
    /** destination names */
    readonly destinations?: readonly string[];
    /** lower case, the From address's domain */
    readonly senderDomains?: readonly string[];
    /** every tag given must be on the message with that value */
    readonly tags?: Readonly<Record<string, string>>;
  };
  /** names of `smartHosts` (or `default`), first tried first */
  readonly smartHosts: readonly string[];
  /** when the first host's warm-up caps are full, send through the next one instead of holding */
  readonly warmupOverflow?: boolean;
}

/** The DKIM key of one sender (header-From) domain. */
export interface DkimDomain {
  /** lower case */
  readonly domain: string;
  readonly selector: string;
  /** the name of the app setting holding the PEM private key (in Azure a Key Vault reference) */
  readonly privateKeySetting: string;
}

/** One step of a warm-up ramp: from `day` on (0 = the start date), at most `perHour` and/or `perDay`. */
export interface WarmupStep {
  readonly day: number;
  readonly perHour?: number;
  readonly perDay?: number;
}

/** A ramp for a new sender domain or smart host. */
export interface WarmupPlan {
  readonly kind: 'sender' | 'smartHost';
  /** the sender domain or smart host name */
  readonly name: string;
  /** midnight UTC of day 0 */
  readonly startsAt: Date;
  /** ascending by day; after the last step the ramp is over */
  readonly steps: readonly WarmupStep[];
}

export type SuspendableKind = 'destination' | 'smartHost';

/** When a reply matches, suspend (or slow) what it came through, for a while. */
export interface ReactionRule {
  readonly name: string;
  /** matched against the SMTP reply text (code, enhanced code and text) */
  readonly pattern: RegExp;
  /** only the destinations (by name) it applies to; all when absent */
  readonly destinations?: readonly string[];
  /** act once this many matches were seen within `windowSeconds`; absent = the first match acts */
  readonly threshold?: { readonly count: number; readonly windowSeconds: number };
  readonly action: 'suspend' | 'slow';
  /** what is suspended or slowed: the recipient's destination, or the smart host it went through */
  readonly target: SuspendableKind;
  /** for `slow`: the rate is multiplied by this (0 < factor < 1) */
  readonly rateFactor?: number;
  readonly durationSeconds: number;
}

export interface DeliveryPolicy {
  /** in the file's order; a domain belongs to the first destination that lists it */
  readonly destinations: readonly Destination[];
  /** by name; `default` is the smart host of the SMARTHOST_* settings */
  readonly smartHosts: ReadonlyMap<string, SmartHostLimits>;
  /** first match wins; a recipient no route matches goes through `default` */
  readonly routes: readonly Route[];
  /** by lower-case sender domain */
  readonly dkim: ReadonlyMap<string, DkimDomain>;
  readonly warmup: readonly WarmupPlan[];
  readonly reactions: readonly ReactionRule[];
  /** where it came from, for the start-up log: a file path, "RELAY_POLICY_JSON", or "built-in" */
  readonly source: string;
}

/** The smart host the SMARTHOST_* settings describe. */
export const DEFAULT_SMART_HOST = 'default';

export const EMPTY_POLICY: DeliveryPolicy = Object.freeze({
  destinations: [],
  smartHosts: new Map(),
  routes: [],
  dkim: new Map(),
  warmup: [],
  reactions: [],
  source: 'built-in',
});

/**
 * The destination a recipient domain belongs to: an exact domain, or a parent domain listed in it
 * (mail to `sub.docomo.ne.jp` is docomo's). Undefined when no rule covers it: that costs nothing.
 */
export function destinationFor(policy: DeliveryPolicy, domain: string): Destination | undefined {
  const lower = domain.toLowerCase();
  for (const destination of policy.destinations) {
    if (destination.domains.some((d) => lower === d || lower.endsWith(`.${d}`))) return destination;
  }
  return undefined;
}
