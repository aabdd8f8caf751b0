// The delivery metrics through the real OpenTelemetry SDK, read back from its in-memory exporter:
// deliveries run through the use-cases with the in-memory ports, and the counters and the latency
// histogram say what happened, per destination group and outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { newMessageId } from '../../src/core/ids';
import { encodeInlineBody, newDeliveryTask } from '../../src/core/deliveryTask';
import type { DeliveryPolicy } from '../../src/core/policy/types';
import { deliverTask } from '../../src/relay/deliverTask';
import { acceptMessage } from '../../src/relay/acceptMessage';
import { LATENCY_METRIC, METER_NAME, OtelDeliveryMetrics, RECIPIENTS_METRIC } from '../../src/telemetry/otelMetrics';
import { startDeliveryMetrics } from '../../src/telemetry/exportMetrics';
import { FakeLog, FakeRelay } from '../support/fakes';
import { queuedRow } from '../support/rows';

/** This file's deadline for each of its top-level tests and suites: a hung socket fails one test, not the run. */
const FILE_TIMEOUT = { timeout: 60_000 };

const START = new Date('2026-03-01T10:00:00.000Z');
const RAW = Buffer.from('From: app@example.com\r\nTo: x\r\nSubject: hi\r\n\r\nhello\r\n');

const DOCOMO: DeliveryPolicy = {
  destinations: [{ name: 'jp-docomo', domains: ['docomo.ne.jp'], rate: [] }],
  smartHosts: new Map(),
  routes: [],
  dkim: new Map(),
  warmup: [],
  reactions: [],
  source: 'test',
};

function meteredRelay() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const relay = new FakeRelay({}, START);
  relay.config.policy = DOCOMO;
  relay.metrics = new OtelDeliveryMetrics(provider.getMeter(METER_NAME));
  const read = async () => {
    await reader.forceFlush();
    const metrics =
      exporter
        .getMetrics()
        .at(-1)
        ?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
    return {
      counts: new Map(
        (metrics.find((m) => m.descriptor.name === RECIPIENTS_METRIC)?.dataPoints ?? []).map((p) => [
          `${String(p.attributes['relay.outcome'])}/${String(p.attributes['relay.destination'])}/${String(p.attributes['relay.category'] ?? '')}`,
          p.value as number,
        ]),
      ),
      latency: (metrics.find((m) => m.descriptor.name === LATENCY_METRIC)?.dataPoints ?? []) as DataPoint<Histogram>[],
    };
  };
  return { relay, read, provider };
}

async function deliver(relay: FakeRelay, address: string): Promise<void> {
  const id = newMessageId(relay.clock.now());
  relay.deliveries.seed(queuedRow(id, relay.clock.now(), { address, recipientKey: address.toLowerCase() }));
  const task = newDeliveryTask(id, address.toLowerCase(), 1, encodeInlineBody(RAW));
  relay.clock.advance(2000);
  await deliverTask(relay.deps, task, new FakeLog(), { dequeueCount: 1 });
}

test('each outcome is counted once under its destination group and category; final ones give a latency', FILE_TIMEOUT, async () => {
  const { relay, read, provider } = meteredRelay();
  await deliver(relay, 'taro@docomo.ne.jp');
  relay.smartHost.replies = [{ kind: 'temporary', smtpCode: 451, enhancedCode: '4.3.0', response: '451 4.3.0 try later' }];
  await deliver(relay, 'hanako@example.net');
  relay.smartHost.replies = [{ kind: 'permanent', smtpCode: 550, enhancedCode: '5.1.1', response: '550 5.1.1 user unknown', category: 'invalid-recipient' }];
  await deliver(relay, 'jiro@docomo.ne.jp');

  const { counts, latency } = await read();
  assert.deepEqual([...counts.entries()].sort(), [
    ['bounced/jp-docomo/invalid-recipient', 1],
    ['deferred/other/other', 1],
    ['sent/jp-docomo/', 1],
  ]);
  const byOutcome = new Map(latency.map((p) => [String(p.attributes['relay.outcome']), p.value]));
  assert.deepEqual([...byOutcome.keys()].sort(), ['bounced', 'sent'], 'a deferral is no final outcome: no latency');
  assert.equal(byOutcome.get('sent')?.count, 1);
  assert.equal(byOutcome.get('sent')?.sum, 2, 'seconds from acceptance to the outcome');
  await provider.shutdown();
});

test('a suppressed recipient at accept and a held one are counted; a recheck of the same hold is not', FILE_TIMEOUT, async () => {
  const { relay, read, provider } = meteredRelay();
  relay.suppressions.seed({ address: 'gone@docomo.ne.jp', scope: 'all', reason: 'bounced', source: 'bounce', category: 'invalid-recipient', createdAt: START });
  const body = Buffer.from(JSON.stringify({ from: 'app@example.com', to: ['gone@docomo.ne.jp', 'ok@example.net'], subject: 's', text: 't' }));
  await acceptMessage(relay.deps, { contentType: 'application/json', body, idempotencyKey: null }, new FakeLog());

  await relay.senders.pause('example.com', 'operator', relay.clock.now());
  const id = newMessageId(relay.clock.now());
  relay.deliveries.seed(queuedRow(id, relay.clock.now()));
  const task = newDeliveryTask(id, 'rcpt@example.net', 1, encodeInlineBody(RAW));
  await deliverTask(relay.deps, task, new FakeLog());
  relay.clock.advance(61_000);
  await deliverTask(relay.deps, task, new FakeLog());

  const { counts } = await read();
  assert.equal(counts.get('suppressed/jp-docomo/invalid-recipient'), 1);
  assert.equal(counts.get('held/other/'), 1, 'held once: the recheck keeps the same hold');
  await provider.shutdown();
});

test('without a connection string nothing is exported; with one, an exporter to Application Insights is set up', FILE_TIMEOUT, async () => {
  assert.equal(startDeliveryMetrics({}).provider, undefined);
  const started = startDeliveryMetrics({
    connectionString: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/',
    intervalMs: 3_600_000,
  });
  assert.ok(started.provider, 'a meter provider with the Azure Monitor exporter');
  started.metrics.count('sent', { destination: 'other' });
  await started.provider.shutdown().catch(() => undefined);
});
