// status, list and tail: one message, the list, and outcomes as they happen.
import type { Command } from 'commander';
import type { Query, RelayClient } from '../client';
import { table, tagsText } from '../format';
import { type Output, print } from '../output';

interface Recipient {
  address: string;
  status: string;
  attempts: number;
  smtpCode: number | null;
  enhancedCode: string | null;
  response: string | null;
  category?: string | null;
  heldBy?: string | null;
  smartHost?: string | null;
  nextAttemptAt: string | null;
  updatedAt: string;
}

interface Message {
  id: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  from: string;
  subject: string;
  tags: Record<string, string>;
  recipients: Recipient[];
}

interface Summary {
  id: string;
  status: string;
  createdAt: string;
  updatedAt?: string;
  from: string;
  subject: string;
  tags?: Record<string, string>;
}

interface Page<T> {
  items: T[];
  continuationToken?: string | null;
}

type Wire = (program: Command, client: () => RelayClient, output: Output) => void;

export const messageCommands: Wire = (program, client, output) => {
  program
    .command('status')
    .description("one message and each recipient's state, with the last SMTP reply")
    .argument('<id>', 'the message id the send answered with')
    .action(async (id: string) => {
      const message = await client().get<Message>(`/api/v1/messages/${encodeURIComponent(id)}`);
      print(output, message, () => messageText(message));
    });

  program
    .command('list')
    .description('messages, newest first')
    .option('--status <status>', 'queued or completed')
    .option('--recipient <address>', 'only messages to this address')
    .option('--from <address>', 'only messages from this address')
    .option('--tag <name=value...>', 'only messages with these tags')
    .option('--since <time>', 'accepted at or after (ISO time)')
    .option('--until <time>', 'accepted before (ISO time)')
    .option('--limit <n>', 'how many per page', '50')
    .option('--all', 'follow continuation tokens to the end')
    .action(async (options: ListOptions) => {
      const items = await collect<Summary>(client(), '/api/v1/messages', listQuery(options), options.all === true);
      print(output, { items }, () => summariesText(items));
    });

  program
    .command('tail')
    .description('follow outcomes as they happen (Ctrl-C stops)')
    .option('--since <time>', 'start from this time instead of now (ISO time)')
    .option('--interval <seconds>', 'how often to look', '5')
    .action(async (options: { since?: string; interval: string }) => {
      const seconds = positiveNumber(options.interval, '--interval');
      await tail(client(), output, options.since ? isoTime(options.since, '--since') : new Date(), seconds * 1000);
    });
};

interface ListOptions {
  status?: string;
  recipient?: string;
  from?: string;
  tag?: string[];
  since?: string;
  until?: string;
  limit: string;
  all?: boolean;
}

function listQuery(options: ListOptions): Query {
  const query: Query = {
    status: options.status,
    recipient: options.recipient,
    from: options.from,
    since: options.since,
    until: options.until,
    limit: options.limit,
  };
  for (const pair of options.tag ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--tag "${pair}" must be name=value`);
    query[`tag.${pair.slice(0, at)}`] = pair.slice(at + 1);
  }
  return query;
}

/** Reads one page, or every page with `all`. */
export async function collect<T>(client: RelayClient, path: string, query: Query, all: boolean): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await client.get<Page<T>>(path, { ...query, continuationToken: token });
    items.push(...page.items);
    token = page.continuationToken ?? undefined;
  } while (all && token);
  return items;
}

/**
 * Polls the list for messages changed since the last look and prints each recipient whose state
 * moved on. It reads one list page per look plus one status per changed message.
 */
async function tail(client: RelayClient, output: Output, since: Date, intervalMs: number): Promise<void> {
  const seen = new Map<string, string>();
  let from = since;
  for (;;) {
    const lookedAt = new Date();
    const items = await collect<Summary>(client, '/api/v1/messages', { since: new Date(from.getTime() - 60_000).toISOString() }, true);
    for (const item of items.reverse()) {
      const message = await client.get<Message>(`/api/v1/messages/${encodeURIComponent(item.id)}`);
      for (const r of message.recipients) {
        const key = `${message.id} ${r.address}`;
        const state = `${r.status} ${r.attempts} ${r.heldBy ?? ''}`;
        if (seen.get(key) === state || new Date(r.updatedAt) < since) continue;
        seen.set(key, state);
        output.out(output.json ? JSON.stringify({ id: message.id, ...r }) : outcomeLine(message, r));
      }
    }
    from = lookedAt;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function outcomeLine(message: Message, r: Recipient): string {
  const reply = [r.smtpCode, r.enhancedCode].filter((v) => v !== null && v !== undefined).join(' ');
  const held = r.heldBy ? ` held by ${r.heldBy} until ${r.nextAttemptAt}` : '';
  return `${r.updatedAt}  ${message.id}  ${r.address}  ${r.status}${reply ? ` ${reply}` : ''}${r.category ? ` (${r.category})` : ''}${held}`;
}

function messageText(m: Message): string {
  const head = [
    `id:       ${m.id}`,
    `status:   ${m.status}`,
    `from:     ${m.from}`,
    `subject:  ${m.subject}`,
    `created:  ${m.createdAt}`,
    `updated:  ${m.updatedAt}`,
    `tags:     ${tagsText(m.tags) || '-'}`,
  ];
  const rows = m.recipients.map((r) => ({
    address: r.address,
    status: r.status,
    attempts: r.attempts,
    reply: [r.smtpCode, r.enhancedCode].filter((v) => v !== null).join(' ') || null,
    category: r.category,
    smartHost: r.smartHost ?? null,
    heldBy: r.heldBy,
    next: r.nextAttemptAt,
    response: r.response,
  }));
  return `${head.join('\n')}\n\n${table(rows, ['address', 'status', 'attempts', 'reply', 'category', 'smartHost', 'heldBy', 'next', 'response'])}`;
}

function summariesText(items: readonly Summary[]): string {
  return table(
    items.map((m) => ({ id: m.id, status: m.status, created: m.createdAt, from: m.from, subject: m.subject, tags: tagsText(m.tags) })),
    ['id', 'status', 'created', 'from', 'subject', 'tags'],
  );
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function positiveNumber(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${option} "${text}" must be a positive number`);
  return value;
}

export function isoTime(text: string, option: string): Date {
  const value = new Date(text);
  if (Number.isNaN(value.getTime())) throw new UsageError(`${option} "${text}" is not a time: write an ISO time such as 2026-12-01T09:00:00Z`);
  return value;
}
