// DKIM signing (RFC 6376; Ed25519 by RFC 8463) with mailauth's canonicalization, body hash and
// signature-header format. mailauth signs only the headers present; the last step is done here so
// that From is oversigned: h= names it once more than it occurs, and a From added on the way (which
// a receiver might show instead) breaks the signature. Relaxed/relaxed throughout, as receivers
// recommend: folding or whitespace changes by a smart host do not break it.
import { createHash, type KeyObject, sign } from 'node:crypto';
import { DkimSigner } from 'mailauth/lib/dkim/dkim-signer';
import { generateCanonicalizedHeader } from 'mailauth/lib/dkim/header';
import { formatSignatureHeaderLine, getSigningHeaderLines, writeToStream } from 'mailauth/lib/tools';

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

/** A sender domain's ready signing key (src/dkimKeys.ts reads and checks it at start-up). */
export interface DkimKey {
  /** d=: lower case, A-label */
  readonly domain: string;
  /** s= */
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  readonly privateKey: KeyObject;
}

/** Signed where present: what a receiver shows or threads on, and the one-click unsubscribe pair (RFC 8058 requires it signed). */
export const SIGNED_HEADERS = [
  'From',
  'To',
  'Cc',
  'Subject',
  'Date',
  'Message-ID',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'Reply-To',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'In-Reply-To',
  'References',
  'Feedback-ID',
] as const;

/** Named once more in h= than they occur, so that one added later fails the signature. */
export const OVERSIGNED_HEADERS = ['From'] as const;

const CANONICALIZATION = 'relaxed/relaxed';

class OversigningSigner extends DkimSigner {
  signatureHeader?: string;

  constructor(
    private readonly key: DkimKey,
    private readonly signTime: Date,
  ) {
    super({
      canonicalization: CANONICALIZATION,
      algorithm: key.algorithm,
      signTime,
      signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey }],
    });
  }

  override finalize(): Promise<void> {
    if (!this.headers) throw new Error('the message has no header block to sign');
    const lines = getSigningHeaderLines(this.headers.parsed, SIGNED_HEADERS.join(':'));
    const present = new Set(lines.headers.map((h) => h.key));
    const oversigned = OVERSIGNED_HEADERS.filter((name) => present.has(name.toLowerCase()));
    // A name in h= with no header left to match stands for an empty one: it adds nothing to the hash.
    const keys = [lines.keys, ...oversigned].filter(Boolean).join(': ');
    const bodyHash = [...this.bodyHashes.values()][0]?.hash;
    if (!bodyHash) throw new Error('the body hash was not computed');
    const { canonicalizedHeader, dkimHeaderOpts } = generateCanonicalizedHeader(
      'DKIM',
      { keys, headers: lines.headers },
      {
        signingDomain: this.key.domain,
        selector: this.key.selector,
        algorithm: this.key.algorithm,
        canonicalization: CANONICALIZATION,
        bodyHash,
        signTime: this.signTime,
      },
    );
    const signature =
      this.key.algorithm === 'rsa-sha256'
        ? sign('sha256', canonicalizedHeader, this.key.privateKey)
        : // RFC 8463: Ed25519 signs the SHA-256 hash of the canonicalized header
          sign(null, createHash('sha256').update(canonicalizedHeader).digest(), this.key.privateKey);
    this.signatureHeader = formatSignatureHeaderLine('DKIM', { ...dkimHeaderOpts, b: signature.toString('base64') }, true);
    return Promise.resolve();
  }
}

/** The DKIM-Signature header line (folded, ending in CRLF) for `message`, to put in front of it. */
export async function dkimSignatureHeader(message: Buffer, key: DkimKey, signTime: Date): Promise<string> {
  const signer = new OversigningSigner(key, signTime);
  await writeToStream(signer, message);
  if (!signer.signatureHeader) throw new Error('the DKIM signer finished without a signature');
  return `${signer.signatureHeader}\r\n`;
}

/** The message with its signature in front: what every smart host of the route is handed. */
export async function dkimSign(message: Buffer, key: DkimKey, signTime: Date): Promise<Buffer> {
  return Buffer.concat([Buffer.from(await dkimSignatureHeader(message, key, signTime), 'latin1'), message]);
}
