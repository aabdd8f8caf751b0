import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import type { NodemailerError, SMTPTransportOptions } from 'nodemailer';
import { relaySettingsFor, startDevSmartHost, type DevSmartHost } from '../../src/local/devSmartHost';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 180_000 };

const execFileAsync = promisify(execFile);
const USER = { username: 'relay@example.com', password: 'correct horse battery staple' };
const GOOD_TOKEN = 'ya29.good-access-token';
const FROM = 'sender@example.com';
const WAIT_MS = 5_000;
// Below smtp-server's 30 s close grace period, so a stop() that waits for connections fails.
const TEST_DEADLINE = { timeout: 20_000 };

let workDir: string;
let smartHost: DevSmartHost;
const logLines: string[] = [];
const openTransports: Array<{ close(): void }> = [];

before(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dev-smart-host-'));
  smartHost = await startDevSmartHost({
    port: 0,
    certificateDir: path.join(workDir, 'certs'),
    mailDir: path.join(workDir, 'mail'),
    users: [USER],
    xoauth2: (username, accessToken) => username === USER.username && accessToken === GOOD_TOKEN,
    log: (line) => logLines.push(line),
  });
});

afterEach(() => {
  smartHost.setRules({});
  for (const transport of openTransports.splice(0)) transport.close();
});

after(async () => {
  await smartHost?.stop();
  await fs.rm(workDir, { recursive: true, force: true });
});

/** The transport configuration the relay uses, pointed at the dev smart host. */
function relayTransportOptions(overrides: Partial<SMTPTransportOptions> = {}): SMTPTransportOptions {
  return {
    host: '127.0.0.1',
    port: smartHost.port,
    secure: false,
    requireTLS: true,
    tls: { ca: smartHost.caPem },
    auth: { user: USER.username, pass: USER.password },
    ...overrides,
  };
}

function relayTransport(overrides: Partial<SMTPTransportOptions> = {}) {
  const transport = nodemailer.createTransport(relayTransportOptions(overrides));
  openTransports.push(transport);
  return transport;
}

function pooledRelayTransport() {
  const transport = nodemailer.createTransport({ ...relayTransportOptions(), pool: true, maxConnections: 1 });
  openTransports.push(transport);
  return transport;
}

let messageCounter = 0;
function uniqueRecipient(prefix = 'rcpt'): string {
  return `${prefix}-${process.pid}-${++messageCounter}@example.net`;
}

/** CRLF line endings, 8-bit text and leading dots: everything SMTP transfer could alter. */
function rawMessage(to: string, subject: string): string {
  return (
    [
      `From: Sender <${FROM}>`,
      `To: <${to}>`,
      `Subject: ${subject}`,
      `Message-ID: <${subject.replace(/\W/g, '')}.${Date.now()}@example.com>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Grüße aus Zürich',
      '.a line starting with a dot',
      '..and one with two',
      '.',
      'the end',
    ].join('\r\n') + '\r\n'
  );
}

function isSmtpError(expected: Partial<Pick<NodemailerError, 'code' | 'responseCode'>> & { response?: RegExp }) {
  return (error: unknown): boolean => {
    const actual = error as NodemailerError;
    if (expected.code !== undefined) assert.equal(actual.code, expected.code, `error code (${actual.message})`);
    if (expected.responseCode !== undefined) assert.equal(actual.responseCode, expected.responseCode, `SMTP reply code (${actual.message})`);
    if (expected.response) assert.match(actual.response ?? '', expected.response);
    return true;
  };
}

/** A bare SMTP client for what nodemailer will not do on purpose (talk without TLS). */
class PlainSmtpClient {
  private buffered = '';
  private readonly replies: string[] = [];
  private waiter?: () => void;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      // A reply is complete at its last line, the one with a space after the code.
      let match: RegExpMatchArray | null;
      while ((match = this.buffered.match(/^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/))) {
        this.replies.push(match[0].trimEnd());
        this.buffered = this.buffered.slice(match[0].length);
      }
      this.waiter?.();
    });
  }

  static connect(port: number): Promise<PlainSmtpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new PlainSmtpClient(socket)));
      socket.once('error', reject);
    });
  }

  async reply(): Promise<string> {
    while (this.replies.length === 0) {
      if (this.socket.destroyed) throw new Error('connection closed before a reply');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        this.socket.once('close', resolve);
      });
    }
    return this.replies.shift() as string;
  }

  command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  closed(): Promise<void> {
    return this.socket.destroyed ? Promise.resolve() : new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('dev smart host: delivery', FILE_TIMEOUT, () => {
  test('accepts a message over STARTTLS + AUTH PLAIN and stores it byte for byte', TEST_DEADLINE, async () => {
    const to = uniqueRecipient();
    const raw = rawMessage(to, 'byte exact');
    const info = await relayTransport().sendMail({ envelope: { from: FROM, to: [to] }, raw });

    assert.deepEqual(info.accepted, [to]);
    const queued = /^250 2\.0\.0 Ok: queued as ([0-9A-F]{10})$/.exec(info.response);
    assert.ok(queued, `unexpected reply: ${info.response}`);

    const message = smartHost.messages.find((m) => m.queueId === queued[1]);
    assert.ok(message, 'message is recorded under its queue id');
    assert.equal(message.from, FROM);
    assert.deepEqual(message.to, [to]);
    assert.equal(message.username, USER.username);
    assert.deepEqual(message.raw, Buffer.from(raw, 'utf8'));
    assert.equal(smartHost.countFor(to), 1);

    assert.ok(message.file, 'an .eml file is written when mailDir is set');
    assert.equal(path.dirname(message.file), path.join(workDir, 'mail'));
    assert.match(path.basename(message.file), new RegExp(`^\\d{8}T\\d{9}Z-${message.queueId}\\.eml$`));
    assert.deepEqual(await fs.readFile(message.file), Buffer.from(raw, 'utf8'));

    const logLine = logLines.find((line) => line.includes(`queued ${message.queueId}`));
    assert.equal(logLine, `smart host: queued ${message.queueId} from=<${FROM}> to=<${to}> -> ${message.file}`);
  });

  test('accepts AUTH LOGIN', TEST_DEADLINE, async () => {
    const to = uniqueRecipient();
    await relayTransport({ authMethod: 'LOGIN' }).sendMail({ envelope: { from: FROM, to: [to] }, raw: rawMessage(to, 'login') });
    assert.equal(smartHost.countFor(to), 1);
  });

  test('refuses a wrong password with 535', TEST_DEADLINE, async () => {
    const to = uniqueRecipient();
    const transport = relayTransport({ auth: { user: USER.username, pass: 'wrong password' } });
    await assert.rejects(
      transport.sendMail({ envelope: { from: FROM, to: [to] }, raw: rawMessage(to, 'bad password') }),
      isSmtpError({ code: 'EAUTH', responseCode: 535, response: /^535 5\.7\.8 / }),
    );
    assert.equal(smartHost.countFor(to), 0);
  });

  test('accepts XOAUTH2 with a token the callback approves and refuses any other token', TEST_DEADLINE, async () => {
    const to = uniqueRecipient();
    const oauth = relayTransport({ auth: { type: 'OAuth2', user: USER.username, accessToken: GOOD_TOKEN } });
    await oauth.sendMail({ envelope: { from: FROM, to: [to] }, raw: rawMessage(to, 'xoauth2') });
    assert.equal(smartHost.messages.find((m) => m.to.includes(to))?.username, USER.username);

    const refused = uniqueRecipient();
    const badToken = relayTransport({ auth: { type: 'OAuth2', user: USER.username, accessToken: 'expired-token' } });
    await assert.rejects(
      badToken.sendMail({ envelope: { from: FROM, to: [refused] }, raw: rawMessage(refused, 'bad token') }),
      isSmtpError({ code: 'EAUTH', responseCode: 535 }),
    );
    assert.equal(smartHost.countFor(refused), 0);
  });

  test('logs neither passwords nor tokens', TEST_DEADLINE, async () => {
    const from = logLines.length;
    // Its own sessions, so that it holds alone: each logs a line before its reply is sent.
    const [plain, oauth, refused] = [uniqueRecipient(), uniqueRecipient(), uniqueRecipient()];
    await relayTransport().sendMail({ envelope: { from: FROM, to: [plain] }, raw: rawMessage(plain, 'password') });
    await relayTransport({ auth: { type: 'OAuth2', user: USER.username, accessToken: GOOD_TOKEN } }).sendMail({
      envelope: { from: FROM, to: [oauth] },
      raw: rawMessage(oauth, 'token'),
    });
    await assert.rejects(
      relayTransport({ auth: { user: USER.username, pass: 'wrong password' } }).sendMail({
        envelope: { from: FROM, to: [refused] },
        raw: rawMessage(refused, 'x'),
      }),
    );
    await assert.rejects(
      relayTransport({ auth: { type: 'OAuth2', user: USER.username, accessToken: 'expired-token' } }).sendMail({
        envelope: { from: FROM, to: [refused] },
        raw: rawMessage(refused, 'x'),
      }),
    );
    const lines = logLines.slice(from);
    for (const to of [plain, oauth])
      assert.ok(
        lines.some((line) => line.includes(`queued`) && line.includes(to)),
        `a line for ${to}: ${lines.join('\n')}`,
      );
    assert.equal(lines.filter((line) => line.includes(`authentication failed for ${USER.username}`)).length, 2, lines.join('\n'));
    for (const line of lines) {
      assert.ok(![USER.password, GOOD_TOKEN, 'wrong password', 'expired-token'].some((secret) => line.includes(secret)), line);
    }
  });

  test('waitFor resolves once a message arrives and rejects clearly on timeout', TEST_DEADLINE, async () => {
    const to = uniqueRecipient();
    const sending = relayTransport().sendMail({ envelope: { from: FROM, to: [to] }, raw: rawMessage(to, 'wait') });
    await smartHost.waitFor(() => smartHost.countFor(to) === 1, WAIT_MS);
    await sending;
    await assert.rejects(
      smartHost.waitFor(() => false, 50),
      /smart host: condition not met within 50 ms; \d+ message\(s\) received/,
    );
  });
});

describe('dev smart host: TLS is required', FILE_TIMEOUT, () => {
  test('a client that skips STARTTLS cannot send (530 5.7.0)', TEST_DEADLINE, async () => {
    const to = uniqueRecipient();
    const plaintext = relayTransport({ ignoreTLS: true, requireTLS: false });
    await assert.rejects(
      plaintext.sendMail({ envelope: { from: FROM, to: [to] }, raw: rawMessage(to, 'no tls') }),
      isSmtpError({ responseCode: 530, response: /^530 5\.7\.0 Must issue a STARTTLS command first$/ }),
    );
    // Forcing AUTH in clear text gets nowhere either.
    const forced = relayTransport({ ignoreTLS: true, requireTLS: false, forceAuth: true });
    await assert.rejects(forced.sendMail({ envelope: { from: FROM, to: [to] }, raw: rawMessage(to, 'forced auth') }), isSmtpError({ code: 'EAUTH' }));
    assert.equal(smartHost.countFor(to), 0);
  });

  test('without STARTTLS: AUTH is not offered nor accepted, MAIL is refused; SIZE is advertised', TEST_DEADLINE, async () => {
    const client = await PlainSmtpClient.connect(smartHost.port);
    try {
      assert.match(await client.reply(), /^220 /);
      const ehlo = await client.command('EHLO client.example.com');
      assert.match(ehlo, /^250-STARTTLS$/m);
      assert.match(ehlo, /^250[- ]SIZE 52428800$/m);
      assert.doesNotMatch(ehlo, /AUTH/);
      const credentials = Buffer.from(`\0${USER.username}\0${USER.password}`).toString('base64');
      assert.match(await client.command(`AUTH PLAIN ${credentials}`), /^5\d\d /);
      assert.equal(await client.command(`MAIL FROM:<${FROM}>`), '530 5.7.0 Must issue a STARTTLS command first');
      assert.match(await client.command('RCPT TO:<someone@example.net>'), /^503 /);
      assert.match(await client.command('QUIT'), /^221 /);
    } finally {
      client.close();
    }
  });

  test('the certificate verifies for 127.0.0.1 and servername localhost, and not without the CA', TEST_DEADLINE, async () => {
    const viaLocalhost = uniqueRecipient();
    await relayTransport({ tls: { ca: smartHost.caPem, servername: 'localhost' } }).sendMail({
      envelope: { from: FROM, to: [viaLocalhost] },
      raw: rawMessage(viaLocalhost, 'servername localhost'),
    });
    assert.equal(smartHost.countFor(viaLocalhost), 1);

    const refused = uniqueRecipient();
    const noCa = relayTransport({ tls: {} });
    await assert.rejects(noCa.sendMail({ envelope: { from: FROM, to: [refused] }, raw: rawMessage(refused, 'no ca') }), (error: NodemailerError) => {
      assert.match(error.message, /unable to verify the first certificate/);
      return true;
    });
    const wrongName = relayTransport({ tls: { ca: smartHost.caPem, servername: 'smtp.example.com' } });
    await assert.rejects(wrongName.sendMail({ envelope: { from: FROM, to: [refused] }, raw: rawMessage(refused, 'wrong name') }), (error: NodemailerError) => {
      assert.match(error.message, /does not match certificate's altnames/);
      return true;
    });
    assert.equal(smartHost.countFor(refused), 0);
  });

  test('a process started with NODE_EXTRA_CA_CERTS=caFile sends through it without tls.ca', TEST_DEADLINE, async () => {
    const to = uniqueRecipient();
    const script = `
      const nodemailer = require(${JSON.stringify(require.resolve('nodemailer'))});
      const target = JSON.parse(process.env.SMART_HOST_TARGET);
      nodemailer
        .createTransport({ host: '127.0.0.1', port: target.port, secure: false, requireTLS: true, auth: target.auth })
        .sendMail({ envelope: { from: target.from, to: [target.to] }, raw: 'Subject: child\\r\\n\\r\\nhello\\r\\n' })
        .then(() => console.log('ok'), (error) => { console.log(error.message); process.exitCode = 1; });`;
    const runChild = async (caFile: string | undefined): Promise<string> => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        SMART_HOST_TARGET: JSON.stringify({ port: smartHost.port, auth: { user: USER.username, pass: USER.password }, from: FROM, to }),
      };
      delete env.NODE_EXTRA_CA_CERTS;
      if (caFile) env.NODE_EXTRA_CA_CERTS = caFile;
      try {
        return (await execFileAsync(process.execPath, ['-e', script], { env, timeout: 20_000 })).stdout.trim();
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? error).trim();
      }
    };

    assert.match(await runChild(undefined), /unable to verify the first certificate/);
    assert.equal(smartHost.countFor(to), 0);
    assert.equal(await runChild(smartHost.caFile), 'ok');
    assert.equal(smartHost.countFor(to), 1);
  });
});

describe('dev smart host: delivery rules', FILE_TIMEOUT, () => {
  test('bounce- gets 550 and grey- gets 451 while the other recipients are accepted', TEST_DEADLINE, async () => {
    const ok = uniqueRecipient();
    const bounce = uniqueRecipient('bounce-user');
    const grey = uniqueRecipient('grey-user');
    const info = await relayTransport().sendMail({ envelope: { from: FROM, to: [ok, bounce, grey] }, raw: rawMessage(ok, 'mixed') });

    assert.deepEqual(info.accepted, [ok]);
    assert.deepEqual(info.rejected, [bounce, grey]);
    const byRecipient = new Map((info.rejectedErrors ?? []).map((error) => [error.recipient, error]));
    assert.equal(byRecipient.get(bounce)?.responseCode, 550);
    assert.equal(byRecipient.get(bounce)?.response, '550 5.1.1 Recipient address rejected: User unknown');
    assert.equal(byRecipient.get(grey)?.responseCode, 451);
    assert.equal(byRecipient.get(grey)?.response, '451 4.7.1 Greylisted, try again later');

    assert.equal(smartHost.countFor(ok), 1);
    assert.deepEqual(smartHost.messages.find((m) => m.to.includes(ok))?.to, [ok]);
    assert.equal(smartHost.countFor(bounce), 0);
    assert.equal(smartHost.countFor(grey), 0);
  });

  test('nodemailer throws when every recipient is refused', TEST_DEADLINE, async () => {
    const bounce = uniqueRecipient('bounce-only');
    await assert.rejects(
      relayTransport().sendMail({ envelope: { from: FROM, to: [bounce] }, raw: rawMessage(bounce, 'all refused') }),
      isSmtpError({ code: 'EENVELOPE', responseCode: 550 }),
    );
    const grey = uniqueRecipient('GREY-only');
    await assert.rejects(
      relayTransport().sendMail({ envelope: { from: FROM, to: [grey] }, raw: rawMessage(grey, 'all greylisted') }),
      isSmtpError({ code: 'EENVELOPE', responseCode: 451 }),
    );
  });

  test('onRcpt overrides the reply per recipient and falls back to the default rules', TEST_DEADLINE, async () => {
    const full = uniqueRecipient('full');
    const ok = uniqueRecipient();
    const bounce = uniqueRecipient('bounce-x');
    smartHost.setRules({ onRcpt: (address) => (address === full ? { code: 452, message: '4.2.2 Mailbox full' } : undefined) });

    const info = await relayTransport().sendMail({ envelope: { from: FROM, to: [full, ok, bounce] }, raw: rawMessage(ok, 'onRcpt') });
    assert.deepEqual(info.accepted, [ok]);
    assert.deepEqual(
      (info.rejectedErrors ?? []).map((error) => error.response),
      ['452 4.2.2 Mailbox full', '550 5.1.1 Recipient address rejected: User unknown'],
    );
  });

  test('onData refuses the message after DATA (554 permanent, 451 transient) and nothing is stored', TEST_DEADLINE, async () => {
    const spam = uniqueRecipient();
    smartHost.setRules({ onData: (envelope) => (envelope.to.includes(spam) ? { code: 554, message: '5.7.1 Message rejected as spam' } : undefined) });
    await assert.rejects(
      relayTransport().sendMail({ envelope: { from: FROM, to: [spam] }, raw: rawMessage(spam, 'spam') }),
      isSmtpError({ code: 'EMESSAGE', responseCode: 554, response: /^554 5\.7\.1 Message rejected as spam$/ }),
    );
    assert.equal(smartHost.countFor(spam), 0);

    const busy = uniqueRecipient();
    smartHost.setRules({ onData: () => ({ code: 451, message: '4.3.0 Temporary queue failure' }) });
    await assert.rejects(
      relayTransport().sendMail({ envelope: { from: FROM, to: [busy] }, raw: rawMessage(busy, 'busy') }),
      isSmtpError({ code: 'EMESSAGE', responseCode: 451 }),
    );
    assert.equal(smartHost.countFor(busy), 0);
  });

  test('stallData leaves the client waiting until its socketTimeout; the host keeps serving others', TEST_DEADLINE, async () => {
    const stalled = uniqueRecipient();
    smartHost.setRules({ stallData: (envelope) => envelope.to.includes(stalled) });
    await assert.rejects(
      relayTransport({ socketTimeout: 500 }).sendMail({ envelope: { from: FROM, to: [stalled] }, raw: rawMessage(stalled, 'stall') }),
      isSmtpError({ code: 'ETIMEDOUT' }),
    );
    assert.equal(smartHost.countFor(stalled), 0);

    const next = uniqueRecipient();
    await relayTransport().sendMail({ envelope: { from: FROM, to: [next] }, raw: rawMessage(next, 'after stall') });
    assert.equal(smartHost.countFor(next), 1);
  });

  test('storeThenStall keeps the message but never answers: the client times out although it was delivered', TEST_DEADLINE, async () => {
    const stalled = uniqueRecipient();
    smartHost.setRules({ storeThenStall: (envelope) => envelope.to.includes(stalled) });
    await assert.rejects(
      relayTransport({ socketTimeout: 500 }).sendMail({ envelope: { from: FROM, to: [stalled] }, raw: rawMessage(stalled, 'stored, then stall') }),
      isSmtpError({ code: 'ETIMEDOUT' }),
    );
    assert.equal(smartHost.countFor(stalled), 1);
  });
});

describe('dev smart host: outages', FILE_TIMEOUT, () => {
  test('pause refuses connections and drops pooled ones; resume accepts again on the same port', TEST_DEADLINE, async () => {
    const port = smartHost.port;
    const pooled = pooledRelayTransport();
    const before = uniqueRecipient();
    await pooled.sendMail({ envelope: { from: FROM, to: [before] }, raw: rawMessage(before, 'before pause') });

    await smartHost.pause();
    const during = uniqueRecipient();
    await assert.rejects(
      relayTransport().sendMail({ envelope: { from: FROM, to: [during] }, raw: rawMessage(during, 'while paused') }),
      (error: NodemailerError) => {
        assert.equal(error.code, 'ESOCKET');
        assert.match(error.message, /ECONNREFUSED/);
        return true;
      },
    );
    await assert.rejects(pooled.sendMail({ envelope: { from: FROM, to: [during] }, raw: rawMessage(during, 'pooled while paused') }));
    assert.equal(smartHost.countFor(during), 0);

    await smartHost.resume();
    assert.equal(smartHost.port, port);
    const afterResume = uniqueRecipient();
    await relayTransport().sendMail({ envelope: { from: FROM, to: [afterResume] }, raw: rawMessage(afterResume, 'after resume') });
    await pooled.sendMail({ envelope: { from: FROM, to: [afterResume] }, raw: rawMessage(afterResume, 'pooled after resume') });
    assert.equal(smartHost.countFor(afterResume), 2);
  });

  test('stop closes idle, pooled and stalled connections without waiting for them', TEST_DEADLINE, async () => {
    const host = await startDevSmartHost({ certificateDir: path.join(workDir, 'certs'), users: [USER] });
    const options: SMTPTransportOptions = { ...relayTransportOptions(), port: host.port, tls: { ca: host.caPem } };
    const pooled = nodemailer.createTransport({ ...options, pool: true, maxConnections: 1 });
    const stalling = nodemailer.createTransport(options);
    try {
      const to = uniqueRecipient();
      await pooled.sendMail({ envelope: { from: FROM, to: [to] }, raw: rawMessage(to, 'pooled') });
      assert.equal(host.countFor(to), 1);
      assert.equal(host.messages[0].file, undefined, 'no mailDir: kept in memory only');

      const idle = await PlainSmtpClient.connect(host.port);
      assert.match(await idle.reply(), /^220 /);
      let dataStalled!: () => void;
      const stallReached = new Promise<void>((resolve) => (dataStalled = resolve));
      host.setRules({
        stallData: () => {
          dataStalled();
          return true;
        },
      });
      const stalledOutcome = stalling.sendMail({ envelope: { from: FROM, to: [to] }, raw: rawMessage(to, 'stalled') }).then(
        () => 'delivered',
        (error: NodemailerError) => error.code,
      );
      await stallReached;

      await host.stop();
      await idle.closed();
      assert.notEqual(await stalledOutcome, 'delivered');
      await assert.rejects(PlainSmtpClient.connect(host.port), /ECONNREFUSED/);
      await host.stop(); // idempotent
      await assert.rejects(host.resume(), /cannot resume after stop/);
    } finally {
      pooled.close();
      stalling.close();
      await host.stop();
    }
  });
});

test('relaySettingsFor gives the relay the address, the login and the CA of a development smart host', FILE_TIMEOUT, () => {
  const settings = relaySettingsFor({ host: '127.0.0.1', port: 2525, caFile: '/tmp/ca.pem' }, { username: 'relay', password: 'secret' });
  assert.deepEqual(settings, {
    SMARTHOST_HOST: '127.0.0.1',
    SMARTHOST_PORT: '2525',
    SMARTHOST_USERNAME: 'relay',
    SMARTHOST_PASSWORD: 'secret',
    NODE_EXTRA_CA_CERTS: '/tmp/ca.pem',
  });
});
