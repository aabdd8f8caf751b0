// The whole relay for an integration test: Azurite on ephemeral ports, the development smart host
// (a real smtp-server with STARTTLS and AUTH) and the local Functions host in a child process running
// the real functions. Everything is reached the way a user reaches it: HTTP, SMTP and storage.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type RelayConfig } from '../../src/config';
import { localDefaults } from '../../src/local/settings';
import { createStorageClients, ensureStorageResources, type StorageClients } from '../../src/storage/clients';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { relaySettingsFor, startDevSmartHost, type DevSmartHost, type DevSmartHostOptions } from '../../src/local/devSmartHost';
import { spawnHost, type HostProcess } from '../../src/local/hostProcess';
import type { MessageView } from '../../src/relay/messageStatus';
import type { AcceptAnswer } from '../../src/relay/acceptMessage';
import type { Problem } from '../../src/errors';
import { type ExecutedOptions, waitForExecuted } from './executedLines';

export const FUNCTION_KEY = 'test-function-key';
/** the local host's master key: the only one that opens authLevel admin functions */
export const ADMIN_KEY = 'test-admin-key';
export const SMTP_USER = 'relay-user';

export interface HarnessOptions {
  /** settings for the function host, over the harness's fast test defaults */
  env?: Record<string, string>;
  smartHost?: Partial<Pick<DevSmartHostOptions, 'rules' | 'xoauth2'>>;
  /** keep Azurite's data on disk (so it can be restarted) instead of in memory */
  azuriteOnDisk?: boolean;
}

/**
 * A JSON answer of the relay as a test reads it: the accept answer's fields (202) beside problem+json's
 * (4xx, 5xx). A test checks the status first and then reads the fields that status gives.
 */
export type RelayAnswerBody = Omit<AcceptAnswer, 'status'> & Omit<Problem, 'status'> & { status: AcceptAnswer['status'] | Problem['status'] };

export interface HttpAnswer<Body = RelayAnswerBody> {
  status: number;
  headers: Headers;
  /** the answer's JSON as `Body`, unchecked (undefined when the answer was not JSON) */
  body: Body;
  text: string;
}

export class RelayHarness {
  /** every line the function host printed, for assertions on logging */
  readonly hostOutput: string[] = [];
  host!: HostProcess;
  /** more hosts on the same settings, storage and smart host (scaled-out instances); stopped with the harness */
  readonly otherHosts: HostProcess[] = [];
  config!: RelayConfig;
  clients!: StorageClients;
  private hostEnv: Record<string, string | undefined> = {};
  private stopped = false;

  constructor(
    public azurite: RunningAzurite,
    readonly smartHost: DevSmartHost,
    readonly smtpPassword: string,
    private readonly tempDir: string,
    /** Azurite's data folder, with azuriteOnDisk */
    readonly azuriteLocation?: string,
  ) {}

  get url(): string {
    return this.host.url;
  }

  async startHost(env: Record<string, string | undefined>): Promise<void> {
    this.hostEnv = env;
    this.config = loadConfig(env);
    this.clients = createStorageClients(this.config);
    await ensureStorageResources(this.clients);
    this.host = await spawnHost({ env, output: (line) => this.hostOutput.push(line) });
  }

  /** Starts one more host with the same settings: another instance of the same app. */
  async startAnotherHost(output: (line: string) => void): Promise<HostProcess> {
    if (this.stopped) throw new Error('the harness was stopped: no host is started after its teardown');
    const host = await spawnHost({ env: this.hostEnv, output });
    this.otherHosts.push(host);
    return host;
  }

  /** Starts the host again with the same settings (after kill() or stop()). */
  async restartHost(): Promise<void> {
    if (this.stopped) throw new Error('the harness was stopped: no host is started after its teardown');
    const host = await spawnHost({ env: this.hostEnv, output: (line) => this.hostOutput.push(line) });
    if (this.stopped) {
      await host.stop(); // stop() ran while this one was starting, and could not see it
      throw new Error('the harness was stopped while a host was starting');
    }
    this.host = host;
  }

  /** Stops the host and starts it with some settings changed; the harness's own storage clients keep theirs. */
  async restartHostWith(overrides: Record<string, string | undefined>): Promise<void> {
    await this.host.stop();
    this.hostEnv = { ...this.hostEnv, ...overrides };
    await this.restartHost();
  }

  /** SIGKILL for Azurite, as a crash would: what it had not saved to disk yet is lost. */
  async killAzurite(): Promise<void> {
    await this.azurite.kill();
  }

  /** Starts Azurite again on the same ports and data folder, so the host's connection string still works. */
  async restartAzurite(): Promise<void> {
    if (!this.azuriteLocation) throw new Error('restartAzurite needs azuriteOnDisk: an in-memory Azurite would come back empty');
    const before = this.azurite;
    this.azurite = await startAzurite({ location: this.azuriteLocation, ...before.ports });
    if (this.azurite.connectionString !== before.connectionString) throw new Error('Azurite came back with another connection string');
  }

  async request<Body = RelayAnswerBody>(
    method: string,
    pathname: string,
    options: { body?: unknown; headers?: Record<string, string>; key?: string | null } = {},
  ): Promise<HttpAnswer<Body>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const key = options.key === undefined ? FUNCTION_KEY : options.key;
    if (key !== null) headers['x-functions-key'] = key;
    let body: string | Buffer | undefined;
    if (Buffer.isBuffer(options.body) || typeof options.body === 'string') body = options.body;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.url}${pathname}`, { method, headers, body });
    const text = await response.text();
    let parsed: Body;
    try {
      parsed = text ? (JSON.parse(text) as Body) : (undefined as Body);
    } catch {
      parsed = undefined as Body;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  send(message: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return this.request('POST', '/api/v1/messages', { body: message, headers });
  }

  async status(id: string): Promise<MessageView> {
    const answer = await this.request<MessageView>('GET', `/api/v1/messages/${id}`);
    if (answer.status !== 200) throw new Error(`GET status of ${id} answered ${answer.status}: ${answer.text}`);
    return answer.body;
  }

  /** Polls the status endpoint until `done` holds, or fails with the last status seen. */
  async waitForStatus(id: string, done: (view: MessageView) => boolean, timeoutMs = 20_000): Promise<MessageView> {
    const deadline = Date.now() + timeoutMs;
    let last: MessageView | undefined;
    while (Date.now() < deadline) {
      last = await this.status(id);
      if (done(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`message ${id} did not reach the expected state within ${timeoutMs} ms; last seen:\n${JSON.stringify(last, null, 2)}`);
  }

  /** The lines of the invocations asked for, once their `Executed` lines are in hostOutput (see executedLines.ts). */
  waitForExecuted(functionName: string, options: ExecutedOptions = {}): Promise<string[]> {
    return waitForExecuted(() => this.hostOutput, functionName, options);
  }

  /**
   * Everything the host logged for the HTTP requests answered so far, joined: call it before asserting
   * that something was NOT logged. An HTTP invocation's lines are not told apart by anything the caller
   * sees, so this sends one more request, a status request for an id no message can have (answered 404
   * without touching storage, so it works during an outage too), and waits for that request's Executed
   * line. The host writes every earlier invocation's Executed line before its answer leaves, and writes
   * its lines in order on one pipe: once this one is here, so are theirs.
   */
  async loggedSoFar(): Promise<string> {
    const marker = `log-barrier-${randomBytes(6).toString('hex')}`;
    const answer = await this.request('GET', `/api/v1/messages/${marker}`);
    if (answer.status !== 404) throw new Error(`the log barrier's status request answered ${answer.status}: ${answer.text}`);
    await this.waitForExecuted('getMessageStatus', { invocationOf: marker });
    return this.hostOutput.join('\n');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.host?.stop().catch(() => undefined);
    await Promise.all(this.otherHosts.map((host) => host.stop().catch(() => undefined)));
    await this.smartHost.stop().catch(() => undefined);
    await this.azurite.stop().catch(() => undefined);
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}

export async function startRelayHarness(options: HarnessOptions = {}): Promise<RelayHarness> {
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'relay-test-'));
  const azuriteLocation = options.azuriteOnDisk ? path.join(tempDir, 'azurite') : undefined;
  const smtpPassword = randomBytes(12).toString('hex');
  let azurite: RunningAzurite | undefined;
  let smartHost: DevSmartHost;
  try {
    azurite = await startAzurite(azuriteLocation ? { location: azuriteLocation } : { inMemory: true });
    smartHost = await startDevSmartHost({
      port: 0,
      certificateDir: path.join(os.tmpdir(), 'relay-test-certificate'),
      users: [{ username: SMTP_USER, password: smtpPassword }],
      ...options.smartHost,
    });
  } catch (err) {
    await azurite?.stop();
    rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
  const harness = new RelayHarness(azurite, smartHost, smtpPassword, tempDir, azuriteLocation);
  const env: Record<string, string | undefined> = {
    ...localDefaults(),
    PATH: process.env.PATH,
    AzureWebJobsStorage: azurite.connectionString,
    RELAY_LOCAL_PORT: '0',
    RELAY_LOCAL_FUNCTION_KEY: FUNCTION_KEY,
    RELAY_LOCAL_ADMIN_KEY: ADMIN_KEY,
    RELAY_ALLOWED_SENDER_DOMAINS: 'example.jp,example.com',
    RELAY_RETRY_FIRST_DELAY_SECONDS: '1',
    RELAY_RETRY_MAX_DELAY_SECONDS: '2',
    ...relaySettingsFor(smartHost, { username: SMTP_USER, password: smtpPassword }),
    SMARTHOST_CONNECT_TIMEOUT_SECONDS: '5',
    SMARTHOST_SOCKET_TIMEOUT_SECONDS: '10',
    ...options.env,
  };
  try {
    await harness.startHost(env);
  } catch (err) {
    await harness.stop();
    throw err;
  }
  return harness;
}

/** A valid message body; override what a test is about. */
export function message(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { from: 'App <app@example.jp>', to: 'user@example.net', subject: 'Hello', text: 'Hello from the relay tests.', ...overrides };
}

/** Polls `probe` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
