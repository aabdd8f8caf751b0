import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { checkServerIdentity, ensureDevCertificate, type DevCertificate } from '../../src/local/devCertificate';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 120_000 };

const execFileAsync = promisify(execFile);
const CHILD_DEADLINE_MS = 30_000;
const DAY_MS = 24 * 60 * 60 * 1000;

let workDir: string;

before(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dev-certificate-'));
});

after(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
});

async function freshDir(name: string): Promise<string> {
  const dir = path.join(workDir, name);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

function assertServerCertificateMatches(certificate: DevCertificate): void {
  const ca = new X509Certificate(certificate.caPem);
  const server = new X509Certificate(certificate.cert);
  assert.equal(ca.ca, true);
  assert.equal(server.ca, false);
  assert.ok(server.checkIssued(ca), 'server certificate is issued by the CA');
  assert.ok(server.verify(ca.publicKey), 'server certificate is signed with the CA key');
}

/** Starts a bare TLS server with the certificate; what we test is the certificate, not SMTP. */
async function withTlsServer<T>(certificate: DevCertificate, host: string, action: (port: number) => Promise<T>): Promise<T> {
  const server = tls.createServer({ key: certificate.key, cert: certificate.cert }, (socket) => socket.end());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  try {
    return await action((server.address() as AddressInfo).port);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Resolves with 'ok' when the handshake verified, or with the verification error code. */
function connectAndVerify(options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ ...options, rejectUnauthorized: true }, () => {
      socket.end();
      resolve(socket.authorized ? 'ok' : 'unauthorized');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

// Runs in a separate node process, so only NODE_EXTRA_CA_CERTS (read at start-up) can make it trust the CA.
const CHILD_TLS_CLIENT = `
const tls = require('node:tls');
const { host, port, servername } = JSON.parse(process.env.DEV_CERT_TEST_TARGET);
const socket = tls.connect({ host, port, servername, rejectUnauthorized: true }, () => {
  console.log(socket.authorized ? 'ok' : 'unauthorized');
  socket.end();
});
socket.on('error', (error) => { console.log(error.code || error.message); process.exitCode = 1; });
`;

async function verifyInChildProcess(target: { host: string; port: number; servername?: string }, caFile: string | undefined): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, DEV_CERT_TEST_TARGET: JSON.stringify(target) };
  delete env.NODE_EXTRA_CA_CERTS;
  if (caFile) env.NODE_EXTRA_CA_CERTS = caFile;
  try {
    const { stdout } = await execFileAsync(process.execPath, ['-e', CHILD_TLS_CLIENT], { env, timeout: CHILD_DEADLINE_MS });
    return stdout.trim();
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error).trim();
  }
}

describe('ensureDevCertificate', FILE_TIMEOUT, () => {
  test('creates a private CA and a server certificate for localhost, 127.0.0.1 and ::1', async () => {
    const dir = await freshDir('create');
    const certificate = await ensureDevCertificate(dir);

    assert.equal(certificate.caFile, path.join(dir, 'dev-ca.pem'));
    assert.equal(await fs.readFile(certificate.caFile, 'utf8'), certificate.caPem);
    assertServerCertificateMatches(certificate);

    const server = new X509Certificate(certificate.cert);
    assert.equal(server.checkHost('localhost'), 'localhost');
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.ok(server.checkIP('::1'), 'IPv6 loopback is in subjectAltName');
    assert.ok(Date.parse(server.validTo) - Date.now() > 30 * DAY_MS);

    if (process.platform !== 'win32') {
      for (const keyFile of ['dev-ca-key.pem', 'localhost-key.pem']) {
        const mode = (await fs.stat(path.join(dir, keyFile))).mode & 0o777;
        assert.equal(mode, 0o600, `${keyFile} is readable by its owner only`);
      }
    }
  });

  test('reuses a certificate that is still valid', async () => {
    const dir = await freshDir('reuse');
    const first = await ensureDevCertificate(dir);
    const second = await ensureDevCertificate(dir);
    assert.deepEqual(second, first);
  });

  test('renews a server certificate that expires within 30 days and keeps the CA', async () => {
    const dir = await freshDir('renew');
    const first = await ensureDevCertificate(dir);
    const expiringSoon = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 10 * DAY_MS),
      ca: { key: await fs.readFile(path.join(dir, 'dev-ca-key.pem'), 'utf8'), cert: first.caPem },
    });
    await fs.writeFile(path.join(dir, 'localhost.pem'), expiringSoon.cert);
    await fs.writeFile(path.join(dir, 'localhost-key.pem'), expiringSoon.private, { mode: 0o600 });

    const renewed = await ensureDevCertificate(dir);
    assert.equal(renewed.caPem, first.caPem);
    assert.notEqual(renewed.cert, expiringSoon.cert);
    assert.ok(Date.parse(new X509Certificate(renewed.cert).validTo) - Date.now() > 30 * DAY_MS);
    assertServerCertificateMatches(renewed);
  });

  test('replaces a corrupt server certificate and keeps the CA', async () => {
    const dir = await freshDir('corrupt');
    const first = await ensureDevCertificate(dir);
    await fs.writeFile(path.join(dir, 'localhost.pem'), 'not a certificate');

    const repaired = await ensureDevCertificate(dir);
    assert.equal(repaired.caPem, first.caPem);
    assert.notEqual(repaired.cert, first.cert);
    assertServerCertificateMatches(repaired);
  });

  test('creates a new CA and server certificate when the CA key is gone', async () => {
    const dir = await freshDir('lost-ca');
    const first = await ensureDevCertificate(dir);
    await fs.rm(path.join(dir, 'dev-ca-key.pem'));

    const replaced = await ensureDevCertificate(dir);
    assert.notEqual(replaced.caPem, first.caPem);
    assert.equal(await fs.readFile(replaced.caFile, 'utf8'), replaced.caPem);
    assertServerCertificateMatches(replaced);
  });

  test('concurrent callers in one process all get the same consistent certificate', async () => {
    const dir = await freshDir('concurrent');
    const results = await Promise.all(Array.from({ length: 4 }, () => ensureDevCertificate(dir)));
    for (const result of results) assert.deepEqual(result, results[0]);
    assertServerCertificateMatches(results[0]);
    const onDisk = await ensureDevCertificate(dir);
    assert.deepEqual(onDisk, results[0]);
  });

  test('concurrent processes leave a consistent CA and server certificate on disk', async () => {
    const dir = await freshDir('multi-process');
    const modulePath = require.resolve('../../src/local/devCertificate');
    const script = `require(${JSON.stringify(modulePath)}).ensureDevCertificate(${JSON.stringify(dir)})
      .then((c) => console.log(require('node:crypto').createHash('sha256').update(c.caPem + c.cert).digest('hex')))`;
    const outputs = await Promise.all(Array.from({ length: 3 }, () => execFileAsync(process.execPath, ['-e', script], { timeout: CHILD_DEADLINE_MS })));
    const digests = new Set(outputs.map(({ stdout }) => stdout.trim()));
    assert.equal(digests.size, 1, 'every process ended up with the same certificate');
    assertServerCertificateMatches(await ensureDevCertificate(dir));
  });
});

describe('dev certificate in a TLS handshake', FILE_TIMEOUT, () => {
  let certificate: DevCertificate;

  before(async () => {
    certificate = await ensureDevCertificate(path.join(workDir, 'handshake'));
  });

  test('verifies with tls.ca for 127.0.0.1 and for servername localhost', async () => {
    await withTlsServer(certificate, '127.0.0.1', async (port) => {
      // Without servername Node checks the certificate against the IP address, as nodemailer does for an IP host.
      assert.equal(await connectAndVerify({ host: '127.0.0.1', port, ca: certificate.caPem }), 'ok');
      assert.equal(await connectAndVerify({ host: '127.0.0.1', port, servername: 'localhost', ca: certificate.caPem }), 'ok');
    });
  });

  test('is refused without the CA, and for a name it was not issued for', async () => {
    await withTlsServer(certificate, '127.0.0.1', async (port) => {
      assert.equal(await connectAndVerify({ host: '127.0.0.1', port }), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      assert.equal(await connectAndVerify({ host: '127.0.0.1', port, servername: 'smtp.example.com', ca: certificate.caPem }), 'ERR_TLS_CERT_ALTNAME_INVALID');
    });
  });

  test('verifies for ::1 when IPv6 loopback is available (on CI it must be)', async (t) => {
    try {
      await withTlsServer(certificate, '::1', async (port) => {
        assert.equal(await connectAndVerify({ host: '::1', port, ca: certificate.caPem, checkServerIdentity }), 'ok');
        assert.equal(await connectAndVerify({ host: '::1', port }), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'the chain is still checked');
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'EADDRNOTAVAIL' && code !== 'EAFNOSUPPORT') || process.env.CI === 'true') throw error;
      t.skip('no IPv6 loopback here');
    }
  });

  test('checkServerIdentity matches IPv6 hosts against the IP SANs only, in any spelling', () => {
    const peer = { subject: { CN: 'localhost' }, subjectaltname: new X509Certificate(certificate.cert).subjectAltName } as tls.PeerCertificate;
    assert.equal(checkServerIdentity('::1', peer), undefined);
    assert.equal(checkServerIdentity('0:0:0:0:0:0:0:1', peer), undefined);
    assert.equal(checkServerIdentity('127.0.0.1', peer), undefined);
    assert.equal(checkServerIdentity('localhost', peer), undefined);
    for (const host of ['::2', 'fe80::1', '::ffff:127.0.0.2', '127.0.0.2', 'smtp.example.com']) {
      const verdict: NodeJS.ErrnoException | undefined = checkServerIdentity(host, peer);
      assert.equal(verdict?.code, 'ERR_TLS_CERT_ALTNAME_INVALID', host);
    }
  });

  test('a process started with NODE_EXTRA_CA_CERTS=caFile trusts it; one without does not', async () => {
    await withTlsServer(certificate, '127.0.0.1', async (port) => {
      assert.equal(await verifyInChildProcess({ host: '127.0.0.1', port }, certificate.caFile), 'ok');
      assert.equal(await verifyInChildProcess({ host: '127.0.0.1', port, servername: 'localhost' }, certificate.caFile), 'ok');
      assert.equal(await verifyInChildProcess({ host: '127.0.0.1', port, servername: 'localhost' }, undefined), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    });
  });
});
