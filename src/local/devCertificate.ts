/**
 * A private development PKI for the local smart host: a small CA (trusted by the relay
 * through NODE_EXTRA_CA_CERTS) that signs a server certificate for localhost, 127.0.0.1
 * and ::1. The relay verifies the smart host exactly as it would verify a real one.
 */
import { randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { isIPv6 } from 'node:net';
import path from 'node:path';
import tls, { type PeerCertificate } from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import { generate } from 'selfsigned';

export interface DevCertificate {
  /** PEM file holding only the CA certificate: the value for NODE_EXTRA_CA_CERTS */
  caFile: string;
  /** The CA certificate, for clients that take `tls.ca` directly */
  caPem: string;
  /** Private key of the server certificate (PEM) */
  key: string;
  /** Server certificate (PEM), signed by the CA */
  cert: string;
}

const FILE_NAMES = {
  caCert: 'dev-ca.pem',
  caKey: 'dev-ca-key.pem',
  serverCert: 'localhost.pem',
  serverKey: 'localhost-key.pem',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;
/** A certificate closer than this to its end is replaced, so a long test run never sees it expire */
const MIN_REMAINING_VALIDITY_MS = 30 * DAY_MS;
const CA_VALIDITY_MS = 10 * 365 * DAY_MS;
const SERVER_VALIDITY_MS = 365 * DAY_MS;
/** Back-date notBefore so a clock that is a little behind (containers, VMs) still accepts the cert */
const CLOCK_SKEW_MS = 60 * 60 * 1000;

const SERVER_DNS_NAMES = ['localhost'];
const SERVER_IPS = ['127.0.0.1', '::1'];

/** Generous: generation takes well under a second, a lock older than this was left by a crash */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 60_000;

interface KeyPairPem {
  key: string;
  cert: string;
}

/**
 * Returns the development CA and server certificate stored in `dir`, creating or renewing
 * whatever is missing, invalid or valid for less than 30 more days. A still-valid CA is kept
 * when only the server certificate needs renewing, so a trusted caFile stays trusted.
 * Safe to call from several processes at once (test runners do).
 */
export async function ensureDevCertificate(dir: string): Promise<DevCertificate> {
  const directory = path.resolve(dir);
  await fs.mkdir(directory, { recursive: true });

  const existing = await readValidCertificate(directory);
  if (existing) return existing;

  return withDirectoryLock(directory, async () => {
    // Another process may have finished the job while we waited for the lock.
    const current = await readValidCertificate(directory);
    if (current) return current;

    let ca = await readValidCa(directory);
    if (!ca) {
      ca = await createCa();
      await writeAtomically(path.join(directory, FILE_NAMES.caKey), ca.key, 0o600);
      await writeAtomically(path.join(directory, FILE_NAMES.caCert), ca.cert, 0o644);
    }
    const server = await createServerCertificate(ca);
    await writeAtomically(path.join(directory, FILE_NAMES.serverKey), server.key, 0o600);
    await writeAtomically(path.join(directory, FILE_NAMES.serverCert), server.cert, 0o644);

    return { caFile: path.join(directory, FILE_NAMES.caCert), caPem: ca.cert, key: server.key, cert: server.cert };
  });
}

async function createCa(): Promise<KeyPairPem> {
  const notBeforeDate = new Date(Date.now() - CLOCK_SKEW_MS);
  const pems = await generate(
    [
      // The random suffix tells one developer's CA from another's in certificate errors.
      { name: 'commonName', value: `azure-smtp-relay development CA ${randomBytes(4).toString('hex')}` },
      { name: 'organizationName', value: 'azure-smtp-relay development' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate: new Date(notBeforeDate.getTime() + CA_VALIDITY_MS),
      extensions: [
        // pathLen 0: this CA signs leaf certificates only.
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    },
  );
  return { key: pems.private, cert: pems.cert };
}

async function createServerCertificate(ca: KeyPairPem): Promise<KeyPairPem> {
  const notBeforeDate = new Date(Date.now() - CLOCK_SKEW_MS);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    // selfsigned signs with the leaf's key type, so it has to match the CA key (EC).
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + SERVER_VALIDITY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...SERVER_DNS_NAMES.map((value) => ({ type: 2 as const, value })), ...SERVER_IPS.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
    ca,
  });
  return { key: pems.private, cert: pems.cert };
}

async function readValidCertificate(directory: string): Promise<DevCertificate | undefined> {
  const ca = await readValidCa(directory);
  if (!ca) return undefined;
  const server = await readPair(directory, FILE_NAMES.serverKey, FILE_NAMES.serverCert);
  if (!server || !isUsableServerCertificate(server, ca)) return undefined;
  return { caFile: path.join(directory, FILE_NAMES.caCert), caPem: ca.cert, key: server.key, cert: server.cert };
}

async function readValidCa(directory: string): Promise<KeyPairPem | undefined> {
  const ca = await readPair(directory, FILE_NAMES.caKey, FILE_NAMES.caCert);
  return ca && isUsableCa(ca) ? ca : undefined;
}

async function readPair(directory: string, keyName: string, certName: string): Promise<KeyPairPem | undefined> {
  try {
    const keyPath = path.join(directory, keyName);
    const [key, cert] = await Promise.all([fs.readFile(keyPath, 'utf8'), fs.readFile(path.join(directory, certName), 'utf8')]);
    // A key copied around or restored from a backup may have lost its restrictive mode.
    if (process.platform !== 'win32' && ((await fs.stat(keyPath)).mode & 0o077) !== 0) await fs.chmod(keyPath, 0o600);
    return { key, cert };
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

function isUsableCa(ca: KeyPairPem): boolean {
  try {
    const cert = new X509Certificate(ca.cert);
    return cert.ca && cert.checkPrivateKey(createPrivateKey(ca.key)) && isValidLongEnough(cert);
  } catch {
    return false; // unparseable files are simply replaced
  }
}

function isUsableServerCertificate(server: KeyPairPem, ca: KeyPairPem): boolean {
  try {
    const cert = new X509Certificate(server.cert);
    const issuer = new X509Certificate(ca.cert);
    return (
      !cert.ca &&
      cert.checkIssued(issuer) &&
      cert.verify(issuer.publicKey) &&
      cert.checkPrivateKey(createPrivateKey(server.key)) &&
      SERVER_DNS_NAMES.every((name) => cert.checkHost(name) !== undefined) &&
      SERVER_IPS.every((ip) => cert.checkIP(ip) !== undefined) &&
      isValidLongEnough(cert)
    );
  } catch {
    return false;
  }
}

function isValidLongEnough(cert: X509Certificate): boolean {
  const now = Date.now();
  return Date.parse(cert.validFrom) <= now && Date.parse(cert.validTo) - now >= MIN_REMAINING_VALIDITY_MS;
}

/** Readers in other processes see either the old file or the new one, never half of one. */
async function writeAtomically(file: string, contents: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temporary, contents, { mode, flag: 'wx' });
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

/**
 * mkdir is atomic, so it serves as a cross-process lock: without one, two processes creating
 * the PKI at once could leave a server certificate signed by a CA that is not in caFile.
 */
async function withDirectoryLock<T>(directory: string, action: () => Promise<T>): Promise<T> {
  const lockPath = path.join(directory, '.dev-certificate.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await fs.mkdir(lockPath);
      break;
    } catch (error) {
      if (!isErrnoException(error) || error.code !== 'EEXIST') throw error;
      if (await isStaleLock(lockPath)) {
        await fs.rm(lockPath, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`Timed out waiting for the certificate lock ${lockPath}; remove it if no other process is running`, { cause: error });
      await delay(50);
    }
  }
  try {
    return await action();
  } finally {
    await fs.rm(lockPath, { recursive: true, force: true });
  }
}

async function isStaleLock(lockPath: string): Promise<boolean> {
  try {
    return Date.now() - (await fs.stat(lockPath)).mtimeMs > STALE_LOCK_MS;
  } catch {
    return false; // just released: try again
  }
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

/**
 * tls.checkServerIdentity, except that an IPv6 host that Node fails to match is matched against the
 * certificate's IP Address SANs here. Node 22.23 and 24.17 (the CVE-2026-48618 releases) pass the host
 * through domainToASCII before deciding whether it is an IP, and domainToASCII('::1') is '': no IPv6
 * host matches any certificate (nodejs/node#64144, fixed upstream by #64145). The dev certificate's
 * ::1 SAN is right (16 bytes, as OpenSSL prints it: 0:0:0:0:0:0:0:1); a client of ::1 passes this as
 * its `checkServerIdentity` option. Only the identity check is taken over: the chain is still Node's.
 */
export function checkServerIdentity(hostname: string, cert: PeerCertificate): Error | undefined {
  const nodeVerdict = tls.checkServerIdentity(hostname, cert);
  if (!nodeVerdict || !isIPv6(hostname)) return nodeVerdict;
  const wanted = canonicalIPv6(hostname);
  const ips = (cert.subjectaltname ?? '')
    .split(', ')
    .filter((name) => name.startsWith('IP Address:'))
    .map((name) => name.slice('IP Address:'.length))
    .filter((ip) => isIPv6(ip));
  return ips.some((ip) => canonicalIPv6(ip) === wanted) ? undefined : nodeVerdict;
}

/** The URL standard's serialisation of an IPv6 address: 0:0:0:0:0:0:0:1 and ::1 both become ::1. */
function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname;
}
