// The parts of mailauth's DKIM signer src/core/dkim/sign.ts builds on (mailauth ships no types).
// They are its internal modules, so package.json pins the version: a new one is checked by the tests.
declare module 'mailauth/lib/tools' {
  export interface ParsedHeader {
    /** lower case */
    key: string;
    casedKey: string;
    line: Buffer;
  }
  export interface SigningHeaderLines {
    /** the h= value: "From: To: Subject" */
    keys: string;
    headers: ParsedHeader[];
  }
  export function getSigningHeaderLines(parsedHeaders: ParsedHeader[], fieldNames: string): SigningHeaderLines;
  export function formatSignatureHeaderLine(type: 'DKIM', values: Record<string, unknown>, folded: boolean): string;
  export function writeToStream(stream: NodeJS.WritableStream, input: Buffer): Promise<void>;
}

declare module 'mailauth/lib/dkim/header' {
  import type { SigningHeaderLines } from 'mailauth/lib/tools';
  export function generateCanonicalizedHeader(
    type: 'DKIM',
    signingHeaderLines: SigningHeaderLines,
    options: Record<string, unknown>,
  ): { canonicalizedHeader: Buffer; dkimHeaderOpts: Record<string, unknown> };
}

declare module 'mailauth/lib/dkim/dkim-signer' {
  import { Writable } from 'node:stream';
  import type { ParsedHeader } from 'mailauth/lib/tools';
  export class DkimSigner extends Writable {
    constructor(options: Record<string, unknown>);
    /** set once the header block is read */
    headers: { parsed: ParsedHeader[] } | false;
    /** the body hashes the signer computes, by canonicalization; `hash` is base64 once the body is read */
    bodyHashes: Map<string, { hash: string | null }>;
    /** called after the body hash: where mailauth makes its signatures */
    finalize(): Promise<void>;
  }
}
