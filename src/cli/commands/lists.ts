// suppressions, suspensions and poison: the operator's lists, and the changes an operator makes there.
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { RelayApiError, type RelayClient } from '../client';
import { table } from '../format';
import { type Output, print } from '../output';
import { collect, isoTime, positiveNumber, UsageError } from './messages';

type Wire = (program: Command, client: () => RelayClient, output: Output) => void;

interface SuppressionView {
  address: string;
  scope: string;
  reason: string;
  category: string | null;
  source: string;
  createdAt: string;
  expiresAt: string | null;
}

export const suppressionCommands: Wire = (program, client, output) => {
  const group = program.command('suppressions').description('addresses the relay does not send to');
  group
    .command('list')
    .option('--domain <domain>', 'only addresses at this recipient domain')
    .option('--source <source>', 'bounce, complaint, unsubscribe or manual')
    .option('--limit <n>', 'how many per page', '100')
    .option('--all', 'follow continuation tokens to the end')
    .action(async (options: { domain?: string; source?: string; limit: string; all?: boolean }) => {
      const items = await collect<SuppressionView>(
        client(),
        '/api/v1/suppressions',
        { domain: options.domain, source: options.source, limit: options.limit },
        options.all === true,
      );
      print(output, { items }, () => table(items, ['address', 'scope', 'source', 'category', 'reason', 'createdAt', 'expiresAt']));
    });
  group
    .command('show')
    .argument('<address>')
    .action(async (address: string) => {
      const entry = await client().get<SuppressionView & { entries: SuppressionView[] }>(`/api/v1/suppressions/${encodeURIComponent(address)}`);
      print(output, entry, () => table(entry.entries, ['address', 'scope', 'source', 'category', 'reason', 'createdAt', 'expiresAt']));
    });
  group
    .command('add')
    .argument('<address>')
    .requiredOption('--reason <text>', 'why (shown to other operators)')
    .option('--expires <time>', 'when the entry ends (ISO time); default never')
    .option('--scope <scope>', '"all" senders (default) or one sender domain')
    .action(async (address: string, options: { reason: string; expires?: string; scope?: string }) => {
      const body = {
        reason: options.reason,
        ...(options.expires ? { expiresAt: isoTime(options.expires, '--expires').toISOString() } : {}),
        ...(options.scope ? { scope: options.scope } : {}),
      };
      const entry = await client().put<SuppressionView>(`/api/v1/suppressions/${encodeURIComponent(address)}`, body);
      print(output, entry, () => `suppressed ${entry.address} (${entry.scope})`);
    });
  group
    .command('remove')
    .argument('<address>')
    .option('--scope <scope>', 'only the entry of this scope')
    .action(async (address: string, options: { scope?: string }) => {
      const query = options.scope ? `?scope=${encodeURIComponent(options.scope)}` : '';
      await client().delete(`/api/v1/suppressions/${encodeURIComponent(address)}${query}`);
      print(output, { removed: address }, () => `removed ${address}`);
    });
};

interface SuspensionView {
  kind: string;
  name: string;
  reason: string;
  source: string;
  rule?: string | null;
  rateFactor?: number | null;
  createdAt: string;
  until: string;
}

export const suspensionCommands: Wire = (program, client, output) => {
  const group = program.command('suspensions').description('destinations and smart hosts the relay has stopped or slowed');
  group.command('list').action(async () => {
    const { items } = await client().get<{ items: SuspensionView[] }>('/api/v1/suspensions');
    print(output, { items }, () => table(items, ['kind', 'name', 'source', 'rule', 'rateFactor', 'reason', 'until']));
  });
  group
    .command('add')
    .argument('<kind>', 'destination or smartHost')
    .argument('<name>', 'the destination or smart host name in the policy')
    .requiredOption('--reason <text>', 'why')
    .requiredOption('--until <time>', 'when it ends (ISO time)')
    .option('--rate-factor <factor>', 'slow down to this share of the rate instead of stopping (0 to 1)')
    .action(async (kind: string, name: string, options: { reason: string; until: string; rateFactor?: string }) => {
      const body = {
        reason: options.reason,
        until: isoTime(options.until, '--until').toISOString(),
        ...(options.rateFactor ? { rateFactor: positiveNumber(options.rateFactor, '--rate-factor') } : {}),
      };
      const made = await client().put<SuspensionView>(`/api/v1/suspensions/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`, body);
      print(output, made, () => `suspended ${made.kind} ${made.name} until ${made.until}`);
    });
  group
    .command('lift')
    .argument('<kind>', 'destination or smartHost')
    .argument('<name>')
    .action(async (kind: string, name: string) => {
      await client().delete(`/api/v1/suspensions/${encodeURIComponent(kind)}/${encodeURIComponent(name)}`);
      print(output, { lifted: { kind, name } }, () => `lifted ${kind} ${name}`);
    });
};

interface PoisonView {
  id: string;
  messageId: string;
  recipient: string;
  attempts: number;
  poisonedAt: string;
  lastResponse: string | null;
}

interface RequeueAnswer {
  requeued: number;
  skipped: { id: string; reason: string }[];
  failed: { id: string; reason: string }[];
}

/** Requeued in batches, so a long run shows progress and a failure stops it with the count so far. */
const REQUEUE_BATCH = 20;

export const poisonCommands: Wire = (program, client, output) => {
  const group = program.command('poison').description('tasks the relay gave up on after repeated crashes');
  group
    .command('list')
    .option('--all', 'follow continuation tokens to the end')
    .action(async (options: { all?: boolean }) => {
      const items = await collect<PoisonView>(client(), '/api/v1/poison', {}, options.all === true);
      print(output, { items }, () => table(items, ['id', 'messageId', 'recipient', 'attempts', 'poisonedAt', 'lastResponse']));
    });
  group
    .command('requeue')
    .argument('[ids...]', 'the poison entries to put back')
    .option('--all', 'every poison entry')
    .action(async (ids: string[], options: { all?: boolean }) => {
      if (options.all === ids.length > 0) throw new UsageError('give the ids to requeue, or --all (not both)');
      const chosen = options.all ? (await collect<PoisonView>(client(), '/api/v1/poison', {}, true)).map((p) => p.id) : ids;
      const bar = output.tty && !output.json && chosen.length > REQUEUE_BATCH ? new SingleBar({ format: 'requeue [{bar}] {value}/{total}' }) : undefined;
      bar?.start(chosen.length, 0);
      let requeued = 0;
      const skipped: RequeueAnswer['skipped'] = [];
      const failed: RequeueAnswer['failed'] = [];
      try {
        for (let i = 0; i < chosen.length; i += REQUEUE_BATCH) {
          const answer = await client().post<RequeueAnswer>('/api/v1/poison/requeue', { ids: chosen.slice(i, i + REQUEUE_BATCH) });
          requeued += answer.requeued;
          skipped.push(...answer.skipped);
          failed.push(...answer.failed);
          bar?.update(Math.min(i + REQUEUE_BATCH, chosen.length));
        }
      } finally {
        bar?.stop();
      }
      print(output, { requeued, skipped, failed }, () =>
        [
          `requeued ${requeued} of ${chosen.length}`,
          ...skipped.map((s) => `skipped ${s.id}: ${s.reason}`),
          ...failed.map((f) => `failed ${f.id}: ${f.reason} (try again)`),
        ].join('\n'),
      );
      if (failed.length > 0) throw new RelayApiError(`${failed.length} could not be requeued`, 503);
    });
};
