// The anchor: Postfix from Debian as a private instance (its own config, queue and data directories
// in a temp folder, smtpd on an ephemeral 127.0.0.1 port) relaying everything to the sink with
// relayhost, mandatory TLS and SASL. Everything else is Postfix's default. Installed with apt-get
// when missing, without leaving a system instance running.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Sink } from './sink';

const TEMP_PREFIX = 'relay-bench-postfix-';

export interface PostfixInstance {
  readonly port: number;
  readonly dir: string;
  /** queue_directory/pid/master.pid */
  readonly masterPidFile: string;
  /** the last lines of its log, for error messages */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

function run(command: string, args: string[], input?: string): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { input, encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? result.error.message : ''}` };
}

/** Installs Postfix when missing; returns its version. */
export function ensurePostfix(log: (line: string) => void): string {
  if (!existsSync('/usr/sbin/postfix')) install(log);
  const version = run('postconf', ['-d', '-h', 'mail_version']);
  if (!version.ok) throw new Error(`postconf failed: ${version.output}`);
  return version.output.trim();
}

function install(log: (line: string) => void): void {
  if (process.getuid?.() !== 0) throw new Error('Postfix is not installed; install it (apt-get install postfix libsasl2-modules) or run the bench as root');
  log('Installing Postfix from Debian (apt-get install postfix libsasl2-modules) ...');
  // invoke-rc.d asks policy-rc.d: 101 means "do not start the service" during the install
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    // "No configuration": no /etc/postfix/main.cf, so no system instance can start later either
    run('debconf-set-selections', [], 'postfix postfix/main_mailer_type select No configuration\n');
    const args = ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', 'postfix', 'libsasl2-modules'];
    let result = run('apt-get', args);
    if (!result.ok) {
      log('apt-get install failed; running apt-get update and trying again');
      run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update']);
      result = run('apt-get', args);
    }
    if (!result.ok) throw new Error(`apt-get install postfix failed:\n${result.output.split('\n').slice(-15).join('\n')}`);
  } finally {
    if (ownPolicy) unlinkSync(policy);
  }
  // belt and braces: a system instance that did start is stopped
  if (existsSync('/etc/postfix/main.cf')) run('postfix', ['stop']);
}

/** Stops private instances left behind by a bench that was killed. */
export function stopLeftoverInstances(): void {
  for (const entry of readdirSync(os.tmpdir())) {
    if (!entry.startsWith(TEMP_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), entry);
    if (existsSync(path.join(dir, 'etc', 'main.cf'))) run('postfix', ['-c', path.join(dir, 'etc'), 'abort']);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startPostfix(sink: Sink): Promise<PostfixInstance> {
  const dir = mkdtempSync(path.join(os.tmpdir(), TEMP_PREFIX));
  const etc = path.join(dir, 'etc');
  const queue = path.join(dir, 'spool');
  const data = path.join(dir, 'data');
  const maillog = path.join(dir, 'maillog');
  for (const d of [etc, queue, data]) mkdirSync(d, { recursive: true });
  const port = await freePort();
  const sinkAddress = `[${sink.smtp.host}]:${sink.smtp.port}`;

  writeFileSync(path.join(etc, 'sasl_passwd'), `${sinkAddress} ${sink.username}:${sink.password}\n`, { mode: 0o600 });
  writeFileSync(path.join(etc, 'main.cf'), mainCf({ queue, data, maillog, etc, sinkAddress, caFile: sink.smtp.caFile }));
  writeFileSync(path.join(etc, 'master.cf'), masterCf(port));
  chmodSync(dir, 0o755);
  // master takes its lock in data_directory as the mail owner
  const owner = run('id', ['-u', 'postfix']);
  if (!owner.ok) throw new Error(`no postfix user: ${owner.output}`);
  chownSync(data, Number(owner.output.trim()), -1);

  const logTail = (lines = 20) => (existsSync(maillog) ? readFileSync(maillog, 'utf8').trim().split('\n').slice(-lines).join('\n') : '(no log)');
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopInstance());
  const stopInstance = async () => {
    run('postfix', ['-c', etc, 'stop']);
    const pidFile = path.join(queue, 'pid', 'master.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : NaN;
    const deadline = Date.now() + 10_000;
    while (Number.isInteger(pid) && alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (Number.isInteger(pid) && alive(pid)) run('postfix', ['-c', etc, 'abort']);
    rmSync(dir, { recursive: true, force: true });
  };

  const started = run('postfix', ['-c', etc, 'start']);
  if (!started.ok) {
    const reason = `${started.output}\n${logTail()}`;
    await stop();
    throw new Error(`Postfix did not start:\n${reason}`);
  }
  try {
    await waitForPort(port, 20_000);
  } catch (error) {
    const reason = logTail();
    await stop();
    throw new Error(`${(error as Error).message}\n${reason}`, { cause: error });
  }
  return { port, dir, masterPidFile: path.join(queue, 'pid', 'master.pid'), logTail, stop };
}

function mainCf(p: { queue: string; data: string; maillog: string; etc: string; sinkAddress: string; caFile: string }): string {
  return [
    '# Private bench instance: Postfix 3.7 defaults except for what is set here.',
    'compatibility_level = 3.6',
    `queue_directory = ${p.queue}`,
    `data_directory = ${p.data}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    `maillog_file = ${p.maillog}`,
    `maillog_file_prefixes = ${path.dirname(p.maillog)}`,
    'myhostname = bench-postfix.localdomain',
    'mydestination =',
    'alias_maps =',
    'alias_database =',
    'local_recipient_maps =',
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    `relayhost = ${p.sinkAddress}`,
    'smtp_tls_security_level = encrypt',
    `smtp_tls_CAfile = ${p.caFile}`,
    'smtp_sasl_auth_enable = yes',
    `smtp_sasl_password_maps = texthash:${path.join(p.etc, 'sasl_passwd')}`,
    'smtp_sasl_security_options = noanonymous',
    '',
  ].join('\n');
}

/** Debian's master.cf with smtpd on the bench port only, and no chroot (the temp queue has no chroot jail). */
function masterCf(port: number): string {
  const source = ['/usr/share/postfix/master.cf.dist', '/etc/postfix/master.cf'].find((f) => existsSync(f));
  if (!source) throw new Error('no master.cf template found in /usr/share/postfix or /etc/postfix');
  return readFileSync(source, 'utf8')
    .split('\n')
    .map((line) => {
      if (/^\s|^#|^$/.test(line)) return line;
      const fields = line.split(/\s+/);
      if (fields.length < 8) return line;
      if (fields[1] === 'inet') {
        if (fields[0] !== 'smtp') return `#${line}`;
        fields[0] = `127.0.0.1:${port}`;
      }
      fields[4] = 'n';
      return fields.join(' ');
    })
    .join('\n');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`Postfix did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
