// The bench's command-line options: full-run defaults, smaller ones with --quick, explicit values win.
// bench/README.md lists them.

export interface Options {
  /** the backlog the drain stage relays */
  n: number;
  /** the end-to-end stages' count, relay and Postfix */
  e2eN: number;
  quick: boolean;
  acceptCount: number;
  pool: number;
  concurrency: number;
  rate: number;
  seconds: number;
  /** a warm-up at the steady rate before each steady stage, not counted */
  steadyWarmupSeconds: number;
  costMessages: number;
  /** the cost stage's held backlog */
  heldMessages: number;
  idleSeconds: number;
  /** the profiled end-to-end run the host's CPU is split by */
  cpuSplitMessages: number;
  /** Azurite saving to disk; by default it keeps everything in memory (see bench/README.md) */
  azuriteDisk: boolean;
  skipPostfix: boolean;
  profile: boolean;
  skipScaleOut: boolean;
  scaleOutInstances: number[];
  /** per phase (backlog, end to end) and host count */
  scaleOutMessages: number;
  /** the shaping stage runs (--shaping, or --only shaping) */
  shaping: boolean;
  /** --only shaping: no other stage runs */
  onlyShaping: boolean;
  /** the shaping stage's limit, per minute */
  shapingRate: number;
  /** load time per instance count */
  shapingSeconds: number;
  shapingInstances: number[];
  shapingCostMessages: number;
}

export function parseOptions(args: readonly string[]): Options {
  const flags = new Set(args.filter((a) => a.startsWith('--')));
  const quick = flags.has('--quick');
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const only = value('only');
  if (only !== undefined && only !== 'shaping') throw new Error('--only takes one stage: shaping');
  const onlyShaping = only === 'shaping';
  const number = (name: string, full: number, quickValue: number) => {
    const i = args.indexOf(`--${name}`);
    const value = i >= 0 ? Number(args[i + 1]) : quick ? quickValue : full;
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
    return value;
  };
  return {
    n: number('n', 5000, 300),
    e2eN: number('e2e-n', 1000, 300),
    quick,
    acceptCount: number('accept-count', 1000, 90),
    pool: number('pool', 5, 5),
    concurrency: number('concurrency', 32, 32),
    rate: number('rate', 20, 20),
    seconds: number('seconds', 30, 10),
    steadyWarmupSeconds: number('steady-warmup-seconds', 3, 2),
    costMessages: number('cost-messages', 500, 100),
    heldMessages: number('held-messages', 40, 30),
    idleSeconds: number('idle-seconds', 10, 5),
    cpuSplitMessages: number('cpu-split-messages', 300, 300),
    azuriteDisk: flags.has('--azurite-disk'),
    skipPostfix: flags.has('--skip-postfix'),
    profile: flags.has('--profile'),
    skipScaleOut: flags.has('--skip-scale-out'),
    scaleOutInstances: instanceCounts('scale-out-instances', value('scale-out-instances') ?? '1,2,3'),
    scaleOutMessages: number('scale-out-messages', 2000, 400),
    shaping: flags.has('--shaping') || onlyShaping,
    onlyShaping,
    shapingRate: number('shaping-rate', 600, 600),
    shapingSeconds: number('shaping-seconds', 120, 60),
    shapingInstances: instanceCounts('shaping-instances', value('shaping-instances') ?? '1,2,3'),
    shapingCostMessages: number('shaping-cost-messages', 300, 100),
  };
}

function instanceCounts(option: string, text: string): number[] {
  const counts = text.split(',').map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) throw new Error(`--${option} needs a list of host counts, e.g. 1,2,3`);
  return counts;
}
