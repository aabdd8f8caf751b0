// Progress while a long stage runs: a bar on a terminal (cli-progress), a plain line every 5 s
// otherwise (a log file or CI), e.g. "  relay end to end: 612/1000 at the sink, 14 s". It only reads
// a counter the stage already keeps (mostly the sink's count), so it costs the figures nothing.
import { Presets, SingleBar } from 'cli-progress';

const LINE_EVERY_MS = 5_000;
const BAR_EVERY_MS = 250;

export interface ProgressLine {
  label: string;
  done: number;
  total: number;
  unit: string;
  seconds: number;
}

export function progressLine(p: ProgressLine): string {
  return `  ${p.label}: ${p.done}/${p.total} ${p.unit}, ${p.seconds} s`;
}

/** Shows `current()` of `total` until the returned function is called. */
export function showProgress(label: string, total: number, unit: string, current: () => number): () => void {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  if (!process.stdout.isTTY) {
    const timer = setInterval(() => console.log(progressLine({ label, done: current(), total, unit, seconds: seconds() })), LINE_EVERY_MS);
    timer.unref();
    return () => clearInterval(timer);
  }
  const bar = new SingleBar(
    { format: `  ${label} [{bar}] {value}/{total} ${unit}, {duration} s`, clearOnComplete: true, hideCursor: false },
    Presets.shades_classic,
  );
  bar.start(total, Math.min(total, current()));
  const timer = setInterval(() => bar.update(Math.min(total, current())), BAR_EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    bar.stop();
  };
}

/** Runs `work` with progress shown, and clears it whether `work` succeeds or fails. */
export async function withProgress<T>(label: string, total: number, unit: string, current: () => number, work: () => Promise<T>): Promise<T> {
  const stop = showProgress(label, total, unit, current);
  try {
    return await work();
  } finally {
    stop();
  }
}
