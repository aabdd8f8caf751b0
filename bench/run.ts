// `npm run bench`: the relay and Postfix measured side by side on this machine against one sink.
// Prints a Markdown table and writes bench/results/<date>.json. It asserts nothing about time.
// Options: --n 5000 --e2e-n 1000 --quick --accept-count 1000 --pool 5 --concurrency 32 --rate 20
//          --seconds 30 --cost-messages 500 --held-messages 40 --idle-seconds 10 --cpu-split-messages 300
//          --azurite-disk --skip-postfix --profile --scale-out-instances 1,2,3 --scale-out-messages 2000
//          --skip-scale-out --shaping (add the shaping stage) or --only shaping (run nothing else),
//          --shaping-rate 600 --shaping-seconds 120 --shaping-instances 1,2,3 --shaping-cost-messages 300
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzurite, type AzuriteOptions, type RunningAzurite } from '../src/local/azurite';
import { measureAccept } from './accept';
import { benchCpuMs, childPidsMatching, cpuMsOf, perMessage, startCpuCount } from './cpu';
import { measureCost } from './cost';
import { measureCpuSplit } from './cpuSplitStage';
import { ApiClient } from './load';
import { apiMessage } from './messages';
import { ensurePostfix, stopLeftoverInstances } from './postfix';
import { measurePostfix } from './postfixStage';
import { summarizeProfiles } from './profile';
import { createReplayer, describePlan, replayPlan } from './rawSdk';
import { measureDrain, measureNodemailerDirect, measureRelayEndToEnd, warmUpEndToEnd, warmupCount } from './relay';
import { FUNCTION_KEY, prepareStorage, startedHosts, startRelayHost, type RelayHost } from './relayHost';
import { evaluateTargets, machineInfo, markdown, packageVersion, type BenchResults } from './report';
import { parseOptions, type Options } from './options';
import { measureScaleOut } from './scaleOut';
import { measureShaping } from './shaping';
import { startSink, type Sink } from './sink';
import { measureSteady } from './steady';

const resultsDir = path.resolve(__dirname, '..', '..', 'bench', 'results');

const cleanups: Array<() => Promise<void>> = [];
/** set by Ctrl-C or SIGTERM: stages stop and nothing is written */
let interrupted = false;
async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
}

const log = (line: string) => console.log(line);

const stageSeconds: Record<string, number> = {};

async function stage<T>(name: string, notes: string[], run: () => Promise<T>): Promise<T | undefined> {
  log(`${name} ...`);
  const started = Date.now();
  try {
    return await run();
  } catch (error) {
    if (interrupted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    console.error(`${name} failed: ${message}`);
    notes.push(`${name} failed: ${message.split('\n')[0]}`);
    return undefined;
  } finally {
    stageSeconds[name] = Math.round((Date.now() - started) / 100) / 10;
  }
}

async function main(options: Options, profileDir: string | undefined): Promise<void> {
  const date = new Date().toISOString().slice(0, 10);
  const notes: string[] = [];
  const results: BenchResults = {
    date,
    machine: machineInfo(),
    versions: {
      node: process.version,
      azurite: packageVersion('azurite'),
      nodemailer: packageVersion('nodemailer'),
      'smtp-server': packageVersion('smtp-server'),
    },
    options: {
      ...options,
      shapingInstances: options.shapingInstances.join(','),
      scaleOutInstances: options.scaleOutInstances.join(','),
      storage: options.azuriteDisk ? 'Azurite on disk' : 'Azurite in memory',
      sink: 'dev smart host, in memory',
    },
    targets: [],
    notes,
  };
  if (!options.skipPostfix && !options.onlyShaping) {
    // installed before anything is timed, so apt never runs during a measurement
    stopLeftoverInstances();
    results.versions.postfix = ensurePostfix(log);
  }

  const sink = await startSink();
  cleanups.push(() => sink.stop());
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'relay-bench-'));
  cleanups.push(() => Promise.resolve(rmSync(tempDir, { recursive: true, force: true })));
  mkdirSync(path.join(tempDir, 'azurite'));
  const { azurite, pid: azuritePid } = await preparedAzurite(sink, options.azuriteDisk ? { location: path.join(tempDir, 'azurite') } : { inMemory: true });
  if (!options.onlyShaping) await relayAndPostfixStages(options, results, sink, azurite, azuritePid);
  if (!options.onlyShaping && !options.skipScaleOut) {
    // on an Azurite of its own: the stages above left it tens of thousands of rows (see bench/README.md)
    const fresh = await stage('Azurite for the scale-out stage', notes, () => preparedAzurite(sink, { inMemory: true }));
    results.scaleOut = await stage(`Scale-out: ${options.scaleOutInstances.join(', ')} host(s), ${options.scaleOutMessages} messages each phase`, notes, () =>
      measureScaleOut({
        azurite: fresh?.azurite ?? azurite,
        azuritePid: fresh ? fresh.pid : azuritePid,
        sink,
        poolSize: options.pool,
        instances: options.scaleOutInstances,
        messages: options.scaleOutMessages,
        concurrency: options.concurrency,
        log,
      }),
    );
    await fresh?.azurite.stop();
  }
  // last: its thousands of rows would slow Azurite for the stages above (see bench/README.md)
  if (options.shaping) {
    results.shaping = await stage(`Shaping: ${options.shapingRate}/min with ${options.shapingInstances.join(', ')} host(s)`, notes, () =>
      measureShaping({
        azurite,
        sink,
        poolSize: options.pool,
        perMinute: options.shapingRate,
        seconds: options.shapingSeconds,
        instances: options.shapingInstances,
        costMessages: options.shapingCostMessages,
        log,
      }),
    );
  }

  await cleanUp();
  if (interrupted) return;
  results.targets = evaluateTargets(results);
  results.stageSeconds = stageSeconds;
  if (profileDir) {
    const stageOf = (pid: number) =>
      pid === process.pid ? 'bench process (sink, load, meter)' : (startedHosts.find((h) => h.pid === pid)?.label ?? `process ${pid}`);
    // profiles are written when each process exits; this process's own comes after this summary
    results.profiles = summarizeProfiles(profileDir).map((p) => ({ ...p, stage: stageOf(p.pid) }));
    notes.push(`CPU profiles in ${profileDir} (open them in Chrome DevTools)`);
  }
  mkdirSync(resultsDir, { recursive: true });
  // a shaping-only run never replaces a full run's file
  const file = path.join(resultsDir, `${date}${options.onlyShaping ? '-shaping' : ''}${options.quick ? '-quick' : ''}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`\n${markdown(results)}\n\nResults written to ${path.relative(process.cwd(), file)}`);
}

/** The relay's accept, drain, end-to-end, steady and cost stages, and Postfix's. */
async function relayAndPostfixStages(
  options: Options,
  results: BenchResults,
  sink: Sink,
  azurite: RunningAzurite,
  azuritePid: number | undefined,
): Promise<void> {
  const notes = results.notes;
  let relayPid: number | undefined;
  let relayStartupCpuMs = 0;
  const relayHost = async (label: string) => {
    const started = await startRelayHost({ storageConnectionString: azurite.connectionString, sink, poolSize: options.pool, relayEnabled: true, label });
    relayPid = started.pid;
    relayStartupCpuMs = cpuMsOf(relayPid);
    return started;
  };
  // 0 until the host exists, then what it used after start-up (loading modules is not per-message work)
  const relayProbes = {
    host: () => (relayPid === undefined ? 0 : cpuMsOf(relayPid) - relayStartupCpuMs),
    azurite: () => cpuMsOf(azuritePid),
    bench: benchCpuMs,
  };

  // The steady stage runs first, on a fresh host and a fresh Azurite: after the backlog stages
  // Azurite's in-memory database is large and slow (see bench/README.md), which is not what 20/s
  // looks like.
  const steadyHost = await stage('Relay host for the steady stage', notes, () => relayHost('steady stage'));
  if (steadyHost) {
    const client = new ApiClient(steadyHost.url, FUNCTION_KEY);
    results.relaySteady = await stage(`Relay steady: ${options.rate}/s for ${options.seconds} s`, notes, () =>
      measureSteady(sink, 'relay-steady', options.rate, options.seconds, (id) => client.send(apiMessage(id)), options.steadyWarmupSeconds),
    );
    client.close();
    await steadyHost.stop();
    relayPid = undefined; // the next stages measure the host they start
  }
  // End to end next, on a fresh host, while Azurite holds only the steady stage's rows: a shallow
  // queue, as the figure means (a 5,000-message backlog makes Azurite's every operation slow).
  const e2eHost = await stage('Relay host for the end-to-end stage', notes, () => relayHost('end-to-end stage'));
  if (e2eHost) {
    cleanups.push(() => e2eHost.stop());
    const warmClient = new ApiClient(e2eHost.url, FUNCTION_KEY);
    await stage('Relay end to end: warm-up', notes, () =>
      warmUpEndToEnd(sink, warmupCount(options.e2eN), options.concurrency, (id) => warmClient.send(apiMessage(id)), 'e2e'),
    );
    warmClient.close();
    const cpu = startCpuCount(relayProbes);
    const endToEnd = await stage(`Relay end to end: ${options.e2eN} POSTs at concurrency ${options.concurrency}`, notes, () =>
      measureRelayEndToEnd(sink, e2eHost, options.e2eN, options.concurrency),
    );
    if (endToEnd) results.relayEndToEnd = { ...endToEnd, cpuMsPerMessage: perMessage(cpu(), options.e2eN) };
    await e2eHost.stop();
    relayPid = undefined;
  }
  // after the latency and end-to-end stages: its thousand rows and more would slow Azurite for them
  results.cost = await stage(`Cost: ${options.costMessages} messages through the storage meter`, notes, () =>
    measureCost({
      azurite,
      sink,
      poolSize: options.pool,
      messages: options.costMessages,
      heldMessages: options.heldMessages,
      idleSeconds: options.idleSeconds,
      log,
    }),
  );
  const plan =
    results.cost && (await stage('Raw-SDK baseline plan', notes, () => Promise.resolve(replayPlan(results.cost!.acceptOperations, results.cost!.messages))));
  const rawSdk = plan && (await createReplayer(azurite.connectionString, plan));

  const warmup = Math.min(50, Math.round(options.n * 0.1));
  const perConcurrency = Math.min(options.acceptCount, Math.floor((options.n - warmup) / 3));
  const accepted = await stage(`Accept: ${perConcurrency} POSTs at concurrency 1, 8 and 32 (backlog of ${options.n})`, notes, () =>
    measureAccept({
      storageConnectionString: azurite.connectionString,
      sink,
      poolSize: options.pool,
      backlog: options.n,
      countPerConcurrency: perConcurrency,
      concurrencies: [1, 8, 32],
      warmup,
      rawSdk,
      azuritePid,
      log,
    }),
  );
  if (accepted) results.accept = { rows: accepted, rawSdkOperations: plan ? describePlan(plan) : 'not built' };

  let host: RelayHost | undefined;
  if (accepted) {
    const cpu = startCpuCount(relayProbes);
    const drained = await stage(`Relay: draining the backlog of ${options.n}`, notes, () => measureDrain(sink, options.n, () => relayHost('drain stage')));
    if (drained) results.drain = { ...drained.result, cpuMsPerMessage: perMessage(cpu(), options.n) };
    host = drained?.host;
  }
  if (host) await host.stop();
  results.cpuSplit = await stage(`CPU split: ${options.cpuSplitMessages} messages end to end, host profiled`, notes, () =>
    measureCpuSplit({
      azurite,
      sink,
      poolSize: options.pool,
      messages: options.cpuSplitMessages,
      concurrency: options.concurrency,
      profilesDir: path.join(resultsDir, 'profiles'),
    }),
  );
  if (results.cpuSplit) notes.push(`CPU split profile in ${path.relative(process.cwd(), results.cpuSplit.profileFile)} (open it in Chrome DevTools)`);

  results.nodemailerDirect = await stage(`nodemailer straight to the sink: ${options.n} messages, pool ${options.pool}`, notes, () =>
    measureNodemailerDirect(sink, options.n, options.pool),
  );
  if (!options.skipPostfix) {
    results.postfix = await stage(`Postfix: ${options.e2eN} injected over SMTP`, notes, () =>
      measurePostfix(sink, {
        messages: options.e2eN,
        concurrency: options.concurrency,
        steadyRate: options.rate,
        steadySeconds: options.seconds,
        steadyWarmupSeconds: options.steadyWarmupSeconds,
        log,
        onStop: (stop) => cleanups.push(stop),
      }),
    );
  }
}

/** An Azurite of the bench's own, its storage prepared, stopped at the end, and its process id (not an earlier one's). */
async function preparedAzurite(sink: Sink, start: AzuriteOptions): Promise<{ azurite: RunningAzurite; pid: number | undefined }> {
  const before = childPidsMatching('azurite');
  const azurite = await startAzurite(start);
  cleanups.push(() => azurite.stop());
  await prepareStorage(azurite.connectionString, sink);
  return { azurite, pid: childPidsMatching('azurite').find((pid) => !before.includes(pid)) };
}

/** --profile: run again under --cpu-prof; the host processes inherit it (fork passes execArgv on). */
function relaunchProfiled(): Promise<number> {
  const dir = path.join(resultsDir, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, RELAY_BENCH_PROFILE_DIR: dir },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

if (require.main === module) {
  const options = parseOptions(process.argv.slice(2));
  const profileDir = process.env.RELAY_BENCH_PROFILE_DIR;
  if (options.profile && !profileDir) {
    void relaunchProfiled().then((code) => process.exit(code));
  } else {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (interrupted) return;
        interrupted = true;
        console.error(`\n${signal}: stopping everything the bench started`);
        void cleanUp().then(() => process.exit(130));
      });
    }
    main(options, profileDir).then(
      () => {
        if (!interrupted) process.exit(0);
      },
      async (error: unknown) => {
        if (interrupted) return; // the signal handler exits once everything is stopped
        console.error(`bench failed: ${error instanceof Error ? error.stack : String(error)}`);
        await cleanUp();
        process.exit(1);
      },
    );
  }
}
