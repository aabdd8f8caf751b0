// The built-in presets, smart host profiles, warm-up schedule and reactions, as data in the policy
// file's own shape (rates as "N/min", lifetimes as "4h"), so they read like a policy file and are
// resolved by the very code that resolves one. Each says where its numbers come from; where a
// receiver publishes none, it says "our conservative choice". docs/policy.md lists them for readers.
//
// Cost on the hot path (see docs/policy.md "What a limit costs"): a rate is one reservation in the
// shaping table per recipient, a concurrency limit one lease taken and given back per attempt. So
// the big mailbox providers, which the smart host in front of them already paces, get no limit at
// all: they are named groups for reactions and the status, and cost nothing.

/** A destination as the file writes it (the subset a preset may set). */
export interface DestinationEntry {
  domains?: string[];
  rate?: string | string[];
  concurrency?: number;
  hours?: { from: string; to: string; timeZone: string };
  lifetime?: string | number;
  maxMessageBytes?: number;
  charset?: string;
}

export interface DestinationPreset extends DestinationEntry {
  domains: string[];
  /** where the numbers come from */
  source: string;
}

/**
 * Japanese carriers: one attempt at a time, a steady rate, and a short lifetime, as Japanese operators
 * configure Postfix for them. The rate is our conservative choice: no carrier publishes one.
 */
const CARRIER = { concurrency: 1, rate: '60/min', lifetime: '4h' } as const;
const CARRIER_SOURCE =
  'concurrency 1 and a 2–4 h lifetime: Japanese operators’ Postfix practice (shared/deliverability.md); the rate (60/min, spread evenly): our conservative choice';

export const DESTINATION_PRESETS: Readonly<Record<string, DestinationPreset>> = {
  'jp-docomo': {
    domains: ['docomo.ne.jp'],
    ...CARRIER,
    source: `${CARRIER_SOURCE}; docomo asks senders to avoid many simultaneous sessions and bursts (its mass_send page)`,
  },
  'jp-au': {
    domains: ['ezweb.ne.jp', 'au.com'],
    ...CARRIER,
    // "3 MB" in KDDI's specification; read as 3,000,000 bytes, the smaller of the two readings
    maxMessageBytes: 3_000_000,
    source: `${CARRIER_SOURCE}; 3 MB at most: KDDI's technical specification for au mail`,
  },
  'jp-softbank': {
    // vodafone.ne.jp covers the old regional d./t./k.vodafone.ne.jp addresses SoftBank still receives
    domains: ['softbank.ne.jp', 'i.softbank.jp', 'disney.ne.jp', 'vodafone.ne.jp'],
    ...CARRIER,
    source: `${CARRIER_SOURCE}; SoftBank asks senders to spread sending over time (its anti-spam page); disney.ne.jp and vodafone.ne.jp: carrier domain lists (e.g. Airレジ's FAQ on carrier addresses)`,
  },
  'jp-ymobile': {
    // WILLCOM (pdx.ne.jp, willcom.com) and EMOBILE (emnet.ne.jp) became Y!mobile in 2014
    domains: ['ymobile.ne.jp', 'pdx.ne.jp', 'willcom.com', 'emnet.ne.jp'],
    ...CARRIER,
    source: `${CARRIER_SOURCE}; SoftBank's anti-spam page covers Y!mobile; the WILLCOM/EMOBILE domains: carrier domain lists (e.g. Airレジ's FAQ on carrier addresses)`,
  },
  'yahoo-japan': {
    domains: ['yahoo.co.jp'],
    concurrency: 2,
    rate: '10/s',
    source: 'KumoMTA community shaping.toml (yahoo.co.jp): 2 connections, 10/s',
  },
  gmail: {
    domains: ['gmail.com', 'googlemail.com'],
    source: 'no limit: the smart host paces its own connections (KumoMTA uses 5 connections for Google); named for the 4.7.28 reaction',
  },
  outlook: {
    domains: ['outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'outlook.jp', 'hotmail.co.jp', 'live.jp'],
    source: 'no limit: the smart host paces its own connections (KumoMTA uses 5 connections for Outlook)',
  },
  yahoo: {
    domains: ['yahoo.com', 'ymail.com', 'rocketmail.com', 'aol.com', 'aim.com'],
    source: 'no limit: the smart host paces its own connections (KumoMTA sets none for Yahoo)',
  },
  icloud: {
    domains: ['icloud.com', 'me.com', 'mac.com'],
    source: 'no limit: the smart host paces its own connections (KumoMTA uses 10 connections for Apple)',
  },
};

export interface SmartHostProfile {
  rate: string[];
  concurrency?: number;
  source: string;
}

export const SMART_HOST_PROFILES: Readonly<Record<string, SmartHostProfile>> = {
  'acs-custom-domain': {
    rate: ['30/min', '100/h'],
    source: 'Azure Communication Services Email service limits, custom domain (default quota per subscription)',
  },
  'acs-managed-domain': {
    rate: ['5/min', '10/h'],
    source: 'Azure Communication Services Email service limits, Azure-managed domain',
  },
  'exchange-online': {
    rate: ['30/min', '10000/day'],
    source: 'Exchange Online limits: 30 messages a minute and 10,000 recipients a day per mailbox',
  },
};

/** The built-in warm-up schedule's name, as `warmup.*.<name>.schedule` writes it. */
export const STANDARD_WARMUP = 'standard';

/**
 * Modelled on SendGrid's public automated IP warm-up: an hourly cap of 20 on day 0, ×1.4 a day, to
 * about 19.6 million on day 41 (rounded to whole messages); after day 41 the ramp is over.
 */
export const STANDARD_WARMUP_STEPS: readonly { day: number; perHour: number }[] = [
  20, 28, 39, 55, 77, 108, 151, 211, 295, 413, 579, 810, 1134, 1587, 2222, 3111, 4356, 6098, 8538, 11953, 16734, 23427, 32798, 45917, 64284, 89998, 125997,
  176395, 246953, 345735, 484029, 677640, 948696, 1328175, 1859444, 2603222, 3644511, 5102316, 7143242, 10000539, 14000754, 19601056,
].map((perHour, day) => ({ day, perHour }));

/** A reaction as the file writes it. */
export interface ReactionEntry {
  name: string;
  match: string;
  destinations?: string[];
  threshold?: string;
  action: 'suspend' | 'slow';
  target: 'destination' | 'smartHost';
  rateFactor?: number;
  duration: string | number;
}

export interface ReactionPreset extends ReactionEntry {
  source: string;
}

export const BUILT_IN_REACTIONS: readonly ReactionPreset[] = [
  {
    name: 'yahoo-japan-tss04',
    // 421 [TSS04] Messages from a.b.c.d temporarily deferred due to unexpected volume or user complaints
    match: '\\[TSS04\\]',
    destinations: ['yahoo-japan'],
    threshold: '2/h',
    action: 'suspend',
    target: 'destination',
    duration: '1h',
    source: 'KumoMTA community shaping.toml (yahoo.co.jp): 2 in an hour suspend for 1 hour',
  },
  {
    name: 'yahoo-japan-ipts04',
    match: '\\[IPTS04\\]',
    destinations: ['yahoo-japan'],
    threshold: '2/h',
    action: 'suspend',
    target: 'destination',
    duration: '1h',
    source: 'KumoMTA community shaping.toml (yahoo.co.jp): 2 in an hour suspend for 1 hour',
  },
  {
    name: 'yahoo-japan-vs-ip',
    // 553 Mail from x.x.x.x not allowed - VS98-IP0 deferred; the VSnn-IPn family
    match: '\\bVS\\d+-IP\\d+\\b',
    destinations: ['yahoo-japan'],
    threshold: '2/h',
    action: 'suspend',
    target: 'destination',
    duration: '1h',
    source: 'KumoMTA community shaping.toml (yahoo.co.jp, "VS98-IP0 deferred"): 2 in an hour suspend for 1 hour',
  },
  {
    name: 'gmail-rate-limit',
    // 421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP address
    match: '\\b[45]\\.7\\.28\\b|unusual rate of unsolicited mail',
    destinations: ['gmail'],
    threshold: '2/h',
    // a slow-down would change nothing: the gmail preset sets no rate (a rate costs a storage call per send)
    action: 'suspend',
    target: 'destination',
    duration: '30m',
    source: 'threshold: KumoMTA community shaping.toml (Gmail "unusual rate", 2/hr); stopping for 30 minutes: our conservative choice',
  },
];
