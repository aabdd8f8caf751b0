// Waiting for the local host's `Executed` lines. The host writes a function's log lines after the HTTP
// answer (batched on setImmediate, then through a pipe), so right after an answer they are mostly not in
// the captured output yet: a check that something was NOT logged, made then, checks nothing. Wait for the
// line the host must write last for the invocation in question, its `Executed` line, first.

export interface ExecutedOptions {
  /**
   * A text or pattern that one of the invocation's own lines matches (e.g. "message <id> to <address>:
   * sent"): waits for the Executed line of each invocation that wrote such a line. Without it, any
   * Executed line of the function counts.
   */
  invocationOf?: string | RegExp;
  /** how many invocations (with invocationOf) or Executed lines (without) to wait for; default 1 */
  count?: number;
  timeoutMs?: number;
}

/** "<time> <level> [<function>] (<invocation id>) <message>", as src/local/hostLog.ts writes it */
const FUNCTION_LINE = /^\S+ \S+ \[([^\]]+)\] \(([0-9a-f-]{36})\) (.*)$/;

/**
 * Polls `output` until the host has written the Executed lines asked for, and returns every line of the
 * invocations they end (with invocationOf) or all the Executed lines (without). Fails after the deadline,
 * naming what it waited for.
 */
export async function waitForExecuted(output: () => string | readonly string[], functionName: string, options: ExecutedOptions = {}): Promise<string[]> {
  const { invocationOf, count = 1, timeoutMs = 20_000 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = executedSoFar(linesOf(output()), functionName, invocationOf);
    if (found.invocations >= count) return found.lines;
    if (Date.now() > deadline) {
      const what = invocationOf ? `invocation(s) of ${functionName} that logged ${String(invocationOf)}` : `Executed line(s) of ${functionName}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} ${what}; ${found.invocations} so far`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function linesOf(output: string | readonly string[]): readonly string[] {
  return typeof output === 'string' ? output.split('\n') : output;
}

function executedSoFar(lines: readonly string[], functionName: string, invocationOf: string | RegExp | undefined): { invocations: number; lines: string[] } {
  const byInvocation = new Map<string, { lines: string[]; marked: boolean; executed: boolean }>();
  for (const line of lines) {
    const match = FUNCTION_LINE.exec(line);
    if (!match || match[1] !== functionName) continue;
    const [, , invocationId, text] = match;
    const invocation = byInvocation.get(invocationId) ?? { lines: [], marked: false, executed: false };
    byInvocation.set(invocationId, invocation);
    invocation.lines.push(line);
    if (invocationOf !== undefined && (typeof invocationOf === 'string' ? text.includes(invocationOf) : invocationOf.test(text))) invocation.marked = true;
    if (text.startsWith('Executed (')) invocation.executed = true;
  }
  const done = [...byInvocation.values()].filter((i) => i.executed && (invocationOf === undefined || i.marked));
  if (invocationOf !== undefined) return { invocations: done.length, lines: done.flatMap((i) => i.lines) };
  return { invocations: done.length, lines: done.flatMap((i) => i.lines.filter((l) => FUNCTION_LINE.exec(l)![3].startsWith('Executed ('))) };
}
