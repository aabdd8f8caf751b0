// Postfix's figures: N injected over SMTP (nodemailer, pooled, as many connections as the relay's
// POST concurrency) until N are at the sink, then the same steady-rate latency run as the relay's.
import nodemailer from 'nodemailer';
import { performance } from 'node:perf_hooks';
import { benchCpuMs, perMessage, postfixCpuMs, startCpuCount } from './cpu';
import { runClosedLoop } from './load';
import { mailOptions } from './messages';
import { startPostfix } from './postfix';
import { withProgress } from './progress';
import { sinkTimeout, type EndToEndResult } from './relay';
import type { Sink } from './sink';
import { ratePerSecond, round } from './stats';
import { measureSteady, type SteadyResult } from './steady';
import { warmUpEndToEnd, warmupCount } from './relay';

export interface PostfixOptions {
  messages: number;
  concurrency: number;
  steadyRate: number;
  steadySeconds: number;
  steadyWarmupSeconds: number;
  log: (line: string) => void;
  /** registered so an interrupted bench still stops Postfix */
  onStop: (stop: () => Promise<void>) => void;
}

export async function measurePostfix(sink: Sink, options: PostfixOptions): Promise<{ endToEnd: EndToEndResult; steady: SteadyResult }> {
  const instance = await startPostfix(sink);
  options.onStop(() => instance.stop());
  // plain SMTP from loopback clients in mynetworks, as apps on the same VM would submit
  const transport = nodemailer.createTransport({
    pool: true,
    host: '127.0.0.1',
    port: instance.port,
    maxConnections: options.concurrency,
    ignoreTLS: true,
    logger: false,
  });
  const send = (id: string) => transport.sendMail(mailOptions(id)).then(() => undefined);
  try {
    await warmUpEndToEnd(sink, warmupCount(options.messages), options.concurrency, send, 'postfix');
    sink.reset();
    const cpu = startCpuCount({ postfix: () => postfixCpuMs(instance.masterPidFile), bench: benchCpuMs });
    const t0 = performance.now();
    const { injected, last } = await withProgress(
      'Postfix end to end',
      options.messages,
      'at the sink',
      () => sink.count,
      async () => {
        const injected = await runClosedLoop(options.messages, options.concurrency, (i) => send(`postfix-${i}`));
        return { injected, last: await sink.waitForCount(options.messages, sinkTimeout(options.messages)) };
      },
    );
    const endToEnd = {
      messages: options.messages,
      messagesPerSecond: ratePerSecond(options.messages, last - t0),
      submittedPerSecond: round((options.messages * 1000) / injected.elapsedMs),
      cpuMsPerMessage: perMessage(cpu(), options.messages),
    };
    options.log(`  postfix: ${endToEnd.messagesPerSecond} msg/s end to end; steady ${options.steadyRate}/s for ${options.steadySeconds} s`);
    const steady = await measureSteady(sink, 'postfix-steady', options.steadyRate, options.steadySeconds, send, options.steadyWarmupSeconds);
    return { endToEnd, steady };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nPostfix log:\n${instance.logTail()}`, { cause: error });
  } finally {
    transport.close();
    await instance.stop();
  }
}
