// `npx relay …` (bin/relay.js): the operator's commands over the relay's HTTP API (docs/cli.md). The
// URL comes from --url or RELAY_URL, the operator key from RELAY_ADMIN_KEY (or the variable --key-env
// names); locally both default to the local host's. The launcher passes the environment in.
import { Command, CommanderError } from 'commander';
import { RelayApiError, RelayClient } from './client';
import { messageCommands, UsageError } from './commands/messages';
import { poisonCommands, suppressionCommands, suspensionCommands } from './commands/lists';
import type { Output } from './output';

const LOCAL_URL = 'http://127.0.0.1:7071';
/** the local host's operator key (RELAY_LOCAL_ADMIN_KEY's default) */
const LOCAL_ADMIN_KEY = 'local-admin-key';

interface GlobalOptions {
  url?: string;
  keyEnv: string;
  json?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  tty: boolean;
}

export function buildProgram(env: Env, io: CliIo): Command {
  const program = new Command('relay')
    .description("the SMTP relay's operator commands, over its HTTP API")
    .option('--url <url>', `the relay's base URL (default RELAY_URL, else ${LOCAL_URL})`)
    .option('--key-env <name>', 'the environment variable holding the operator key', 'RELAY_ADMIN_KEY')
    .option('--json', "print the API's JSON")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t.trimEnd()), writeErr: (t) => io.err(t.trimEnd()) });
  const options = () => program.opts<GlobalOptions>();
  const output: Output = {
    out: io.out,
    err: io.err,
    tty: io.tty,
    get json() {
      return options().json === true;
    },
  };
  const client = () => {
    const url = options().url ?? env.RELAY_URL ?? LOCAL_URL;
    if (!/^https?:\/\/[^/\s]+/.test(url)) throw new UsageError(`--url "${url}" is not an http(s) URL`);
    const key = env[options().keyEnv] ?? (isLoopback(url) ? LOCAL_ADMIN_KEY : undefined);
    if (!key) throw new UsageError(`${options().keyEnv} is not set: put the operator key there (see docs/cli.md)`);
    return new RelayClient({ url, key });
  };
  messageCommands(program, client, output);
  suppressionCommands(program, client, output);
  suspensionCommands(program, client, output);
  poisonCommands(program, client, output);
  return program;
}

function isLoopback(url: string): boolean {
  return /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(url);
}

/** Runs the CLI; resolves to the exit code. */
export async function runCli(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const program = buildProgram(env, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      io.err(`relay: ${err.message}`);
      return 2;
    }
    if (err instanceof RelayApiError) {
      io.err(`relay: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
