/**
 * Development smart host: an SMTP submission server that behaves like the upstream relay
 * host in production (STARTTLS required, AUTH required, Postfix-style replies), with rules a
 * developer or a test can use to make it bounce, greylist, refuse or stall.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAuthentication, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { ensureDevCertificate } from './devCertificate';
import { asError } from '../errors';

export interface SmtpReply {
  code: number;
  /** Reply text after the code; include the enhanced status code yourself, e.g. '5.7.1 Denied' */
  message: string;
}

export interface MessageEnvelope {
  from: string;
  to: string[];
  /** The authenticated user (SMTP AUTH username) */
  username: string;
}

export interface DeliveryRules {
  /** Reply for one RCPT TO; a code >= 400 refuses the recipient, undefined applies the default rules */
  onRcpt?(address: string, session: SMTPServerSession): SmtpReply | undefined;
  /** Reply after DATA; a code >= 400 refuses the message (it is not stored), undefined accepts it */
  onData?(envelope: MessageEnvelope, raw: Buffer): SmtpReply | undefined;
  /** Never answer after DATA, like a smart host that hangs; the message is not stored */
  stallData?: boolean | ((envelope: MessageEnvelope) => boolean);
  /**
   * Store the message, then never answer: a smart host that committed it but whose 250 never reaches
   * the client (it hangs after queueing, or the link drops). The client times out and retries, so
   * the recipient gets the message twice: the duplicate that no SMTP client can rule out.
   */
  storeThenStall?: (envelope: MessageEnvelope) => boolean;
}

export interface DevSmartHostOptions {
  host?: string;
  /** 0 picks a free port; resume() always reuses the port first bound */
  port?: number;
  certificateDir: string;
  /** Where accepted messages are written as .eml files; without it they are kept in memory only */
  mailDir?: string;
  users: Array<{ username: string; password: string }>;
  /** Validates an XOAUTH2 bearer token; without it every token is refused */
  xoauth2?: (username: string, accessToken: string) => boolean | Promise<boolean>;
  log?: (line: string) => void;
  rules?: DeliveryRules;
}

export interface ReceivedMessage {
  queueId: string;
  from: string;
  to: string[];
  /** The message exactly as received (after SMTP dot-unstuffing) */
  raw: Buffer;
  file?: string;
  receivedAt: Date;
  username: string;
}

/**
 * The relay's settings for sending through a development smart host as `user`: where it listens,
 * the login, and its private CA (trusted process-wide, as a private CA is in Azure).
 */
export function relaySettingsFor(
  smartHost: Pick<DevSmartHost, 'host' | 'port' | 'caFile'>,
  user: { username: string; password: string },
): Record<string, string> {
  return {
    SMARTHOST_HOST: smartHost.host,
    SMARTHOST_PORT: String(smartHost.port),
    SMARTHOST_USERNAME: user.username,
    SMARTHOST_PASSWORD: user.password,
    NODE_EXTRA_CA_CERTS: smartHost.caFile,
  };
}

export interface DevSmartHost {
  readonly host: string;
  readonly port: number;
  readonly caFile: string;
  readonly caPem: string;
  /** Accepted messages, oldest first */
  readonly messages: ReceivedMessage[];
  countFor(recipient: string): number;
  waitFor(predicate: (messages: readonly ReceivedMessage[]) => boolean, timeoutMs: number): Promise<void>;
  setRules(rules: DeliveryRules): void;
  stop(): Promise<void>;
  /** Stops listening and drops every connection: "the smart host is down" */
  pause(): Promise<void>;
  /** Listens again on the same port */
  resume(): Promise<void>;
}

/** Advertised with SIZE; larger messages get 552 and are not stored */
export const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
const WAIT_POLL_MS = 20;

type SmtpError = Error & { responseCode: number };

function smtpError(code: number, message: string): SmtpError {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * Postfix-like default replies keyed on the recipient's local part, one per bounce category, so a
 * developer or a test can make each outcome happen (src/local/README.md lists them). The bounce
 * rules (src/core/bounceRules.json) classify each as its comment says.
 */
export const RCPT_PREFIX_REPLIES: Readonly<Record<string, SmtpReply>> = {
  /** permanent, invalid-recipient */
  'bounce-': { code: 550, message: '5.1.1 Recipient address rejected: User unknown' },
  /** temporary, other (greylisting) */
  'grey-': { code: 451, message: '4.7.1 Greylisted, try again later' },
  /** temporary, other */
  'defer-': { code: 451, message: '4.3.0 Temporarily unable to process, try again later' },
  /** permanent, mailbox-full */
  'full-': { code: 552, message: '5.2.2 Mailbox full' },
  /** permanent, message-too-large */
  'toolarge-': { code: 552, message: '5.3.4 Message size exceeds fixed limit' },
  /** permanent, policy */
  'policy-': { code: 550, message: '5.7.1 Message refused by policy' },
  /** permanent, reputation */
  'blocked-': { code: 554, message: '5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org' },
  /** temporary, rate-limit */
  'ratelimit-': { code: 421, message: '4.7.28 Our system has detected an unusual rate of mail originating from your IP address' },
  /** temporary, rate-limit */
  'toomany-': { code: 452, message: '4.5.3 Error: too many recipients' },
  /** temporary: Yahoo's "[TSS04]" deferral, which the Yahoo! JAPAN reaction rule suspends its destination on */
  'tss04-': { code: 421, message: '4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to unexpected volume or user complaints' },
};

function defaultRcptReply(address: string): SmtpReply | undefined {
  const at = address.lastIndexOf('@');
  const localPart = (at > 0 ? address.slice(0, at) : address).toLowerCase();
  const prefix = Object.keys(RCPT_PREFIX_REPLIES).find((p) => localPart.startsWith(p));
  return prefix === undefined ? undefined : RCPT_PREFIX_REPLIES[prefix];
}

function newQueueId(): string {
  return randomBytes(5).toString('hex').toUpperCase();
}

export async function startDevSmartHost(options: DevSmartHostOptions): Promise<DevSmartHost> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => undefined);
  const certificate = await ensureDevCertificate(options.certificateDir);
  if (options.mailDir) await fs.mkdir(options.mailDir, { recursive: true });

  const messages: ReceivedMessage[] = [];
  let rules: DeliveryRules = options.rules ?? {};
  let server: SMTPServer | undefined;
  let port = options.port ?? 0;
  let stopped = false;
  // Sockets to destroy when going down: raw sockets, plus the TLS socket on top after STARTTLS.
  const openSockets = new Set<Socket>();
  // pause/resume/stop run one at a time, in call order.
  let lifecycle: Promise<void> = Promise.resolve();
  const serialized = (step: () => Promise<void>): Promise<void> => (lifecycle = lifecycle.then(step, step));

  const track = (socket: Socket): void => {
    openSockets.add(socket);
    socket.once('close', () => openSockets.delete(socket));
  };

  async function authenticate(auth: SMTPServerAuthentication): Promise<boolean> {
    const username = auth.username ?? '';
    if (auth.method === 'XOAUTH2') return options.xoauth2 ? await options.xoauth2(username, auth.accessToken ?? '') : false;
    if (auth.method !== 'PLAIN' && auth.method !== 'LOGIN') return false;
    return options.users.some((user) => user.username === username && user.password === auth.password);
  }

  function envelopeOf(session: SMTPServerSession): MessageEnvelope {
    const { mailFrom, rcptTo } = session.envelope;
    return { from: mailFrom ? mailFrom.address : '', to: rcptTo.map((rcpt) => rcpt.address), username: String(session.user ?? '') };
  }

  async function acceptMessage(envelope: MessageEnvelope, raw: Buffer): Promise<string> {
    const queueId = newQueueId();
    const receivedAt = new Date();
    let file: string | undefined;
    if (options.mailDir) {
      // Compact ISO timestamp: sorts by time and is a valid file name on Windows too.
      file = path.join(options.mailDir, `${receivedAt.toISOString().replace(/[-:.]/g, '')}-${queueId}.eml`);
      await fs.writeFile(file, raw);
    }
    // Stored before the 250 goes out, so a client that got its reply always finds the message.
    messages.push({ queueId, ...envelope, raw, file, receivedAt });
    log(`smart host: queued ${queueId} from=<${envelope.from}> to=<${envelope.to.join('>,<')}> -> ${file ?? '(memory)'}`);
    return queueId;
  }

  function onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void {
    const chunks: Buffer[] = [];
    let received = 0;
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= MAX_MESSAGE_BYTES) chunks.push(chunk);
    });
    stream.once('end', () => {
      const envelope = envelopeOf(session);
      if (stream.sizeExceeded) return callback(smtpError(552, '5.3.4 Message size exceeds fixed limit'));
      const raw = Buffer.concat(chunks);
      let reply: SmtpReply | undefined;
      try {
        const stall = typeof rules.stallData === 'function' ? rules.stallData(envelope) : rules.stallData === true;
        if (stall) {
          log(`smart host: stalling after DATA from=<${envelope.from}> (no reply will be sent)`);
          return; // the connection is left hanging until the client gives up or the host stops
        }
        if (rules.storeThenStall?.(envelope)) {
          acceptMessage(envelope, raw).then(
            (queueId) => log(`smart host: stored ${queueId}, then stalling (no reply will be sent)`),
            (error: Error) => log(`smart host: could not store message: ${error.message}`),
          );
          return;
        }
        reply = rules.onData?.(envelope, raw);
      } catch (error) {
        reply = { code: 451, message: `4.3.0 Delivery rule failed: ${(error as Error).message}` };
      }
      if (reply && reply.code >= 400) {
        log(`smart host: refused message from=<${envelope.from}>: ${reply.code} ${reply.message}`);
        return callback(smtpError(reply.code, reply.message));
      }
      acceptMessage(envelope, raw).then(
        (queueId) => callback(null, `2.0.0 Ok: queued as ${queueId}`),
        (error: Error) => {
          log(`smart host: could not store message: ${error.message}`);
          callback(smtpError(451, '4.3.0 Error: queue file write error'));
        },
      );
    });
  }

  function createServer(): SMTPServer {
    const smtp = new SMTPServer({
      secure: false,
      key: certificate.key,
      cert: certificate.cert,
      minVersion: 'TLSv1.2',
      name: 'localhost',
      banner: 'dev smart host',
      // as real smart hosts do (Postfix, Exchange Online): take a quoted local part as written, so the
      // carriers' legacy addresses ("taro..x"@docomo.ne.jp) arrive; the strict mode refuses any "..".
      lenientAddressParsing: true,
      hideSTARTTLS: false,
      allowInsecureAuth: false,
      authOptional: false,
      authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'],
      authRequiredMessage: '5.7.0 Authentication required',
      size: MAX_MESSAGE_BYTES,
      disableReverseLookup: true,
      logger: false,
      onConnect(session, callback) {
        // Like Postfix with smtpd_tls_auth_only: no AUTH before STARTTLS, so credentials are
        // never offered in clear text and MAIL reaches onMailFrom to get the STARTTLS reply.
        if (!session.secure) session.disabledCommands = ['AUTH'];
        callback();
      },
      onSecure(socket, session, callback) {
        track(socket);
        delete session.disabledCommands;
        callback();
      },
      onAuth(auth, _session, callback) {
        authenticate(auth).then(
          (ok) => {
            if (ok) return callback(null, { user: auth.username });
            log(`smart host: authentication failed for ${auth.username ?? '(none)'} (${auth.method})`);
            callback(smtpError(535, '5.7.8 Error: authentication failed'));
          },
          (error: Error) => {
            log(`smart host: authentication error for ${auth.username ?? '(none)'} (${auth.method}): ${error.message}`);
            callback(smtpError(454, '4.7.0 Temporary authentication failure'));
          },
        );
      },
      onMailFrom(_address, session, callback) {
        if (!session.secure) return callback(smtpError(530, '5.7.0 Must issue a STARTTLS command first'));
        if (!session.user) return callback(smtpError(530, '5.7.0 Authentication required'));
        callback();
      },
      onRcptTo(address, session, callback) {
        let reply: SmtpReply | undefined;
        try {
          reply = rules.onRcpt?.(address.address, session) ?? defaultRcptReply(address.address);
        } catch (error) {
          reply = { code: 451, message: `4.3.0 Delivery rule failed: ${(error as Error).message}` };
        }
        if (reply && reply.code >= 400) {
          log(`smart host: refused rcpt <${address.address}>: ${reply.code} ${reply.message}`);
          return callback(smtpError(reply.code, reply.message));
        }
        callback();
      },
      onData,
    });
    smtp.server.on('connection', track);
    // Clients hanging up (timeouts, refused certificates, our own pause) surface here; without a
    // listener an 'error' event would crash the process.
    smtp.on('error', (error: NodeJS.ErrnoException) => log(`smart host: connection error: ${error.code ? `${error.code} ` : ''}${error.message}`));
    return smtp;
  }

  async function listen(): Promise<void> {
    const smtp = createServer();
    await new Promise<void>((resolve, reject) => {
      smtp.server.once('error', reject);
      smtp.listen(port, host, () => {
        smtp.server.off('error', reject);
        resolve();
      });
    });
    port = (smtp.server.address() as AddressInfo).port;
    server = smtp;
  }

  /** Closes the listener and drops every connection at once: no grace period, no 421. */
  async function goDown(): Promise<void> {
    const smtp = server;
    if (!smtp) return;
    server = undefined;
    const closed = new Promise<void>((resolve) => smtp.close(resolve));
    for (const socket of openSockets) socket.destroy();
    await closed;
  }

  await listen();
  log(`smart host: listening on ${host}:${port} (STARTTLS and AUTH required; CA ${certificate.caFile})`);

  return {
    host,
    get port() {
      return port;
    },
    caFile: certificate.caFile,
    caPem: certificate.caPem,
    messages,
    countFor(recipient) {
      const wanted = recipient.toLowerCase();
      return messages.filter((message) => message.to.some((to) => to.toLowerCase() === wanted)).length;
    },
    waitFor(predicate, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = (): void => {
          let satisfied: boolean;
          try {
            satisfied = predicate(messages);
          } catch (error) {
            return reject(asError(error));
          }
          if (satisfied) return resolve();
          if (Date.now() >= deadline) {
            const seen = messages.map((m) => `${m.queueId} <${m.from}> -> <${m.to.join('>,<')}>`).join('; ') || 'none';
            return reject(new Error(`smart host: condition not met within ${timeoutMs} ms; ${messages.length} message(s) received: ${seen}`));
          }
          setTimeout(check, WAIT_POLL_MS);
        };
        check();
      });
    },
    setRules(newRules) {
      rules = newRules;
    },
    stop: () =>
      serialized(async () => {
        if (stopped) return;
        stopped = true;
        await goDown();
        log('smart host: stopped');
      }),
    pause: () =>
      serialized(async () => {
        if (stopped || !server) return;
        await goDown();
        log(`smart host: paused (port ${port} closed)`);
      }),
    resume: () =>
      serialized(async () => {
        if (stopped) throw new Error('smart host: cannot resume after stop()');
        if (server) return;
        await listen();
        log(`smart host: resumed on ${host}:${port}`);
      }),
  };
}
