// Azure Communication Services' access-key authentication, checked as the service checks it: the
// client (createCommunicationAccessKeyCredentialPolicy in @azure/communication-common) signs
// `<METHOD>\n<path>?<query>\n<x-ms-date>;<host>;<x-ms-content-sha256>` with HMAC-SHA256 under the
// base64-decoded access key, and sends the body's SHA-256 in x-ms-content-sha256. The query is taken
// as URLSearchParams serializes it, as the client does, so an equivalent encoding still matches.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How far x-ms-date may be from the relay's clock, either way: what Azure's shared-key schemes allow. */
export const ACS_MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const SIGNED_HEADERS = 'x-ms-date;host;x-ms-content-sha256';
const AUTHORIZATION = /^HMAC-SHA256 SignedHeaders=([^&\s]+)&Signature=(\S+)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface AcsSignedRequest {
  method: string;
  /** the request's absolute URL, as received */
  url: string;
  /** the Host header (the URL's host when absent) */
  host: string | null;
  date: string | null;
  contentHash: string | null;
  authorization: string | null;
  body: Buffer;
}

export type AcsAuthVerdict = { ok: true } | { ok: false; reason: string };

export function acsPathAndQuery(url: string): string {
  const parsed = new URL(url);
  const query = parsed.searchParams.toString();
  return query ? `${parsed.pathname}?${query}` : parsed.pathname;
}

export function acsStringToSign(method: string, url: string, date: string, host: string, contentHash: string): string {
  return `${method.toUpperCase()}\n${acsPathAndQuery(url)}\n${date};${host};${contentHash}`;
}

export function acsContentHash(body: Buffer): string {
  return createHash('sha256').update(body).digest('base64');
}

/**
 * Verifies a request against the access key (base64). The signature is checked first, over the
 * headers as sent; then that the signed content hash is the body's, and that the date is fresh, so a
 * replay of a captured request is refused once its date is stale.
 */
export function verifyAcsSignature(request: AcsSignedRequest, accessKey: string, now: Date): AcsAuthVerdict {
  const { date, contentHash, authorization } = request;
  if (!authorization) return deny('no Authorization header: sign the request with the access key (HMAC-SHA256)');
  if (!date) return deny('no x-ms-date header');
  if (!contentHash) return deny('no x-ms-content-sha256 header');
  const parts = AUTHORIZATION.exec(authorization);
  const [, signedHeaders = '', signature = ''] = parts ?? [];
  if (!parts) return deny('the Authorization header is not "HMAC-SHA256 SignedHeaders=...&Signature=..."');
  if (signedHeaders.toLowerCase() !== SIGNED_HEADERS) return deny(`SignedHeaders must be ${SIGNED_HEADERS}`);
  const host = request.host ?? new URL(request.url).host;
  const expected = createHmac('sha256', Buffer.from(accessKey, 'base64'))
    .update(acsStringToSign(request.method, request.url, date, host, contentHash))
    .digest();
  if (!sameBytes(signature, expected)) return deny('the signature does not match: check the access key');
  if (!sameBytes(contentHash, createHash('sha256').update(request.body).digest())) {
    return deny("the request's x-ms-content-sha256 differs from the hash of its body");
  }
  const signedAt = Date.parse(date);
  if (Number.isNaN(signedAt)) return deny('x-ms-date is not an RFC 1123 date');
  if (Math.abs(now.getTime() - signedAt) > ACS_MAX_CLOCK_SKEW_MS) {
    return deny(`x-ms-date is more than ${ACS_MAX_CLOCK_SKEW_MS / 60_000} minutes from the relay's clock: sign each request when it is sent`);
  }
  return { ok: true };
}

/** Constant time in the secret's bytes: a base64 text is compared with the bytes it must decode to. */
function sameBytes(base64: string, expected: Buffer): boolean {
  if (!BASE64.test(base64)) return false;
  const presented = Buffer.from(base64, 'base64');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

function deny(reason: string): AcsAuthVerdict {
  return { ok: false, reason };
}
