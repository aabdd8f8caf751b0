// The connection to one smart host: a pooled nodemailer transport, made once per instance and per
// smart host of the policy (`default` from the SMARTHOST_* settings, the others from their policy
// entries, src/smartHostSettings.ts) and reused across invocations. STARTTLS is required and the
// certificate checked before any AUTH.
import tls from 'node:tls';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { TokenCredential } from '@azure/identity';
import type { RelayConfig } from '../config';
import type { Envelope, SmartHost } from '../relay/ports';
import { classifyRecipientRefusal, classifySmtpError, parseSmtpReply, type SmtpErrorLike, type SmtpOutcome } from '../core/delivery';

/** How to reach one smart host: the SMARTHOST_* settings' shape, and its policy name. */
export type SmartHostConnectionSettings = RelayConfig['smartHost'] & { readonly name?: string };

export class NodemailerSmartHost implements SmartHost {
  private readonly transporter: Transporter<SMTPPool.SentMessageInfo>;
  /**
   * At most poolSize sends at once, each waiting at most the connect timeout for its turn. Without
   * it a send would queue inside nodemailer's pool behind any number of slow transactions and could
   * overrun functionTimeout; and one given up there could still be sent later, after its retry.
   */
  private readonly slots: SendSlots;
  private readonly slotWaitMs: number;

  /** what the pool-size message names: SMARTHOST_POOL_SIZE, or the smart host's own poolSize */
  private readonly poolSetting: string;

  /**
   * @param settings how to reach it; `name` is its policy name (`default` when absent)
   * @param credential the token credential of an xoauth2 smart host (its own identity)
   * @param trustedCa extra CA certificates (PEM) for this transport only; in the app a private CA is
   *   trusted process-wide through NODE_EXTRA_CA_CERTS, and this is left undefined
   */
  constructor(settings: SmartHostConnectionSettings, credential?: TokenCredential, trustedCa?: string) {
    const options: SMTPPool.Options = {
      pool: true,
      host: settings.host,
      port: settings.port,
      secure: settings.port === 465, // implicit TLS there; STARTTLS (required below) everywhere else
      requireTLS: true,
      tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(trustedCa ? { ca: [...tls.rootCertificates, trustedCa] } : {}) },
      maxConnections: settings.poolSize,
      maxMessages: 100,
      connectionTimeout: settings.connectTimeoutMs,
      greetingTimeout: settings.connectTimeoutMs,
      socketTimeout: settings.socketTimeoutMs,
      dnsTimeout: settings.connectTimeoutMs,
      auth: authOptions(settings, credential),
      authMethod: settings.auth === 'xoauth2' ? 'XOAUTH2' : settings.auth.toUpperCase(),
      logger: false,
      debug: false,
    };
    this.transporter = nodemailer.createTransport(options);
    this.slots = new SendSlots(settings.poolSize);
    this.slotWaitMs = settings.connectTimeoutMs;
    this.poolSetting = settings.name === undefined || settings.name === 'default' ? 'SMARTHOST_POOL_SIZE' : `the poolSize of smart host ${settings.name}`;
  }

  async send(envelope: Envelope, raw: Buffer): Promise<SmtpOutcome> {
    if (!(await this.slots.acquire(this.slotWaitMs))) {
      return {
        kind: 'temporary',
        category: 'connection',
        response: `no connection to the smart host came free within ${this.slotWaitMs / 1000} s (all ${this.slots.size} of ${this.poolSetting} busy)`,
      };
    }
    try {
      return await this.sendNow(envelope, raw);
    } finally {
      this.slots.release();
    }
  }

  private async sendNow(envelope: Envelope, raw: Buffer): Promise<SmtpOutcome> {
    try {
      const info = await this.transporter.sendMail({ envelope: { from: envelope.from, to: [envelope.to] }, raw });
      const refusal = (info.rejectedErrors ?? [])[0] as SmtpErrorLike | undefined;
      if (refusal || info.accepted.length === 0) {
        // nodemailer resolves when only some recipients are refused; with one recipient that is ours.
        return classifyRecipientRefusal(refusal ?? { response: info.response, message: 'recipient refused' });
      }
      return { kind: 'accepted', ...parseSmtpReply(info.response) };
    } catch (err) {
      const e = err as SmtpErrorLike & { rejectedErrors?: SmtpErrorLike[] };
      if (e.code === 'EENVELOPE' && e.rejectedErrors?.length) return classifyRecipientRefusal(e.rejectedErrors[0]);
      return classifySmtpError(e);
    }
  }

  close(): void {
    this.transporter.close();
  }
}

/** A counting semaphore whose waits end after a deadline. */
class SendSlots {
  private free: number;
  private readonly waiting: ((granted: boolean) => void)[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  /** Resolves true with a slot held, or false once `timeoutMs` passed without one. */
  acquire(timeoutMs: number): Promise<boolean> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = (granted: boolean) => {
        clearTimeout(timer);
        resolve(granted);
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(grant), 1);
        grant(false);
      }, timeoutMs);
      this.waiting.push(grant);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next)
      next(true); // the slot passes straight to the next waiter
    else this.free++;
  }
}

function authOptions(settings: SmartHostConnectionSettings, credential: TokenCredential | undefined): SMTPPool.Options['auth'] {
  if (settings.auth !== 'xoauth2') return { user: settings.username, pass: settings.password };
  if (!credential) throw new Error(`smart host ${settings.name ?? 'default'}: xoauth2 needs a token credential`);
  return {
    type: 'OAuth2',
    user: settings.username,
    // nodemailer asks for a token per new connection and again (renew) after an AUTH refusal.
    provisionCallback: (_user: string, _renew: boolean, callback: (err: Error | null, token?: string, expires?: number) => void) => {
      credential.getToken(settings.oauthScope).then(
        (token) => (token ? callback(null, token.token, token.expiresOnTimestamp) : callback(new Error(`no token for ${settings.oauthScope}`))),
        (err: Error) => callback(err),
      );
    },
  };
}
