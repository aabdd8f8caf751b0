// Log lines of the local host and of the functions it runs. Only what callers pass as the message is
// written: request bodies, header values and queue message contents are never handed to these functions.
import type { CoreLogEntry, RpcLogLevel } from './functionsCore';

const severity: Record<RpcLogLevel, number> = { trace: 0, debug: 1, information: 2, warning: 3, error: 4, critical: 5, none: 6 };

export type LogLine = (line: string) => void;

export interface HostLogger {
  /** a line from the host itself, e.g. start-up or a listener's trouble */
  host(level: RpcLogLevel, message: string): void;
  /** a line from the worker API or from a function (context.log, context.error, ...) */
  core(entry: CoreLogEntry): void;
}

/** host.json's logging.logLevel names (".NET" style) mapped onto the RPC levels. */
export function parseLogLevel(name: unknown, fallback: RpcLogLevel): RpcLogLevel {
  const levels: Record<string, RpcLogLevel> = {
    trace: 'trace',
    debug: 'debug',
    information: 'information',
    warning: 'warning',
    error: 'error',
    critical: 'critical',
    none: 'none',
  };
  return (typeof name === 'string' && levels[name.toLowerCase()]) || fallback;
}

export function createHostLogger(write: LogLine, minimum: RpcLogLevel): HostLogger {
  const enabled = (level: RpcLogLevel) => level !== 'none' && severity[level] >= severity[minimum];
  return {
    host(level, message) {
      if (enabled(level)) write(`${new Date().toISOString()} ${level} [host] ${message}`);
    },
    core(entry) {
      if (!enabled(entry.level)) return;
      const scope = entry.functionName ? `[${entry.functionName}]` : `[worker]`;
      const invocation = entry.invocationId ? ` (${entry.invocationId})` : '';
      write(`${new Date().toISOString()} ${entry.level} ${scope}${invocation} ${entry.message}`);
    },
  };
}

/**
 * Gathers the lines written in one turn of the event loop into one write. Under load a function host
 * logs several lines per message, and a write to a pipe is synchronous on Linux: one system call per
 * line was a measurable share of the host's CPU (see bench/). Lines keep their order, and flush() is
 * called on exit so that nothing written before a graceful exit is lost.
 */
export function batchedLines(write: (chunk: string) => void): { line: LogLine; flush(): void } {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const chunk = `${pending.join('\n')}\n`;
    pending = [];
    write(chunk);
  };
  return {
    line(text) {
      pending.push(text);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
