// Where the metrics go: Application Insights in Azure (the app's own component, Entra ID
// authentication through the relay's identity, as the template sets it up), nowhere locally.
import { metrics } from '@opentelemetry/api';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { AzureMonitorMetricExporter } from '@azure/monitor-opentelemetry-exporter';
import type { TokenCredential } from '@azure/identity';
import { METER_NAME, OtelDeliveryMetrics } from './otelMetrics';

export interface MetricsExport {
  /** APPLICATIONINSIGHTS_CONNECTION_STRING; unset → the metrics are counted and dropped */
  connectionString?: string;
  /** the relay's identity, when APPLICATIONINSIGHTS_AUTHENTICATION_STRING asks for Entra ID */
  credential?: TokenCredential;
  intervalMs?: number;
}

/** The delivery metrics of this instance, exported every minute when a connection string is set. */
export function startDeliveryMetrics(options: MetricsExport): { metrics: OtelDeliveryMetrics; provider?: MeterProvider } {
  if (!options.connectionString) return { metrics: new OtelDeliveryMetrics(metrics.getMeter(METER_NAME)) };
  const exporter = new AzureMonitorMetricExporter({ connectionString: options.connectionString, credential: options.credential });
  const provider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: options.intervalMs ?? 60_000 })],
  });
  return { metrics: new OtelDeliveryMetrics(provider.getMeter(METER_NAME)), provider };
}
