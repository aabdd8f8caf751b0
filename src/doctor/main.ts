// `npm run doctor -- --domain D [--selector S] [--dns-server host:port] [--json]` (bin/doctor.js):
// checks over DNS what receivers check of a sender domain, against the relay's own configuration
// (docs/doctor.md). Exit 0 when nothing fails, 1 on a fail, 2 on a usage error. The launcher passes
// the settings in (the environment over local.settings.json), as the app reads them.
import { Command, CommanderError } from 'commander';
import { runChecks } from './checks';
import { dnsLookup, dnsServerAddress, type Lookup } from './dns';
import { resultTable, summary } from './format';
import { readDoctorSettings, SettingsError } from './settings';

type Env = Readonly<Record<string, string | undefined>>;

export interface DoctorIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

interface Options {
  domain: string;
  selector?: string;
  dnsServer?: string;
  json?: boolean;
}

class UsageError extends Error {}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;
const SELECTOR = /^[a-z0-9](?:[a-z0-9._-]{0,62})$/i;

/** Runs the doctor; resolves to the exit code. `lookup` replaces DNS in tests that need no server. */
export async function runDoctor(argv: readonly string[], env: Env, io: DoctorIo, lookup?: Lookup): Promise<number> {
  const program = new Command('doctor')
    .description("checks a sender domain's SPF, DKIM, DMARC, address and MX records against the relay's configuration")
    .requiredOption('--domain <domain>', 'the sender (header From) domain to check')
    .option('--selector <selector>', "the DKIM selector (default: the policy's dkim.<domain>.selector)")
    .option('--dns-server <host:port>', "the DNS server to ask (default: the system's)")
    .option('--json', 'print the results as JSON')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t.trimEnd()), writeErr: (t) => io.err(t.trimEnd()) });
  try {
    program.parse([...argv], { from: 'user' });
    const options = program.opts<Options>();
    const domain = options.domain.trim().toLowerCase().replace(/\.$/, '');
    if (!DOMAIN.test(domain)) throw new UsageError(`--domain "${options.domain}" is not a domain name (internationalised domains in their xn-- form)`);
    if (options.selector !== undefined && !SELECTOR.test(options.selector)) throw new UsageError(`--selector "${options.selector}" is not a DKIM selector`);
    let server: string | undefined;
    try {
      server = options.dnsServer === undefined ? undefined : dnsServerAddress(options.dnsServer);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const settings = readDoctorSettings(domain, env);
    const results = await runChecks({ domain, selector: options.selector, settings, lookup: lookup ?? dnsLookup(server) });
    if (options.json) {
      io.out(JSON.stringify({ domain, dnsServer: server ?? 'system', checks: results, notes: settings.notes }, null, 2));
    } else {
      io.out(`relay doctor: ${domain} (DNS: ${server ?? "the system's resolver"})`);
      io.out(resultTable(results));
      io.out(summary(results));
      for (const note of settings.notes) io.err(`note: ${note}`);
    }
    return results.some((r) => r.result === 'fail') ? 1 : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError || err instanceof SettingsError) {
      io.err(`doctor: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
