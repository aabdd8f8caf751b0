// Carrier domains whose old addresses break RFC 5322's dot-atom: a dot at the start or end of the
// local part, or two dots in a row (`taro..x@docomo.ne.jp`, `taro.@docomo.ne.jp`). The carriers
// let users pick such addresses until they stopped, and the users still have them, so for these
// domains (and their subdomains, as destinations match) the relay accepts them as written and sends
// them quoted (`"taro."@docomo.ne.jp`). Everywhere else the same text is refused: it is a typo there.
// Sources: shared/deliverability.md ("Japanese mobile carriers").

export interface LegacyAddressDomain {
  readonly domain: string;
  readonly carrier: string;
}

export const LEGACY_ADDRESS_DOMAINS: readonly LegacyAddressDomain[] = [
  { domain: 'docomo.ne.jp', carrier: 'NTT docomo' },
  { domain: 'ezweb.ne.jp', carrier: 'au (KDDI)' },
  { domain: 'au.com', carrier: 'au (KDDI)' },
];

/** Whether `domain` (lower-case ASCII) is one of them or a subdomain of one. */
export function allowsLegacyLocalPart(domain: string): boolean {
  return LEGACY_ADDRESS_DOMAINS.some(({ domain: d }) => domain === d || domain.endsWith(`.${d}`));
}
