// An in-memory Azurite behind the storage meter for one test file: started before its tests, stopped
// after them, with the relay's tables created. The shaping-table adapters' tests count each
// operation their stores make through it, and give each "instance" a client of its own.
import { after, before } from 'node:test';
import type { TableClient } from '@azure/data-tables';
import { loadConfig, type RelayConfig } from '../../src/config';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { createStorageClients, ensureStorageResources } from '../../src/storage/clients';
import { startStorageMeter, type StorageMeter } from '../../bench/storageMeter';
import { TEST_SETTINGS } from './fakes';

export interface MeteredAzurite {
  /** the test settings, storage reached through the meter */
  settings(): RelayConfig;
  /** the meter's storage connection string (a test may put a proxy in front of one of its endpoints) */
  connectionString(): string;
  /** a shaping-table client of its own, as a separate process would have */
  shapingTable(): TableClient;
  /** table operations since the last reset, by operation name */
  tableCalls(): Record<string, number>;
  reset(): void;
}

/** Call at the top of a test file: it registers the file's before and after hooks. */
export function useMeteredAzurite(): MeteredAzurite {
  let azurite: RunningAzurite | undefined;
  let meter: StorageMeter | undefined;
  const running = (): StorageMeter => {
    if (!meter) throw new Error('the metered Azurite is not started yet (use it inside a test)');
    return meter;
  };
  const settings = () => loadConfig({ ...TEST_SETTINGS, AzureWebJobsStorage: running().connectionString });

  before(async () => {
    azurite = await startAzurite({ inMemory: true });
    meter = await startStorageMeter(azurite);
    await ensureStorageResources(createStorageClients(settings()));
  });

  after(async () => {
    await meter?.stop();
    await azurite?.stop();
  });

  return {
    settings,
    connectionString: () => running().connectionString,
    shapingTable: () => createStorageClients(settings()).shaping,
    tableCalls: () =>
      Object.fromEntries(
        running()
          .snapshot()
          .filter((c) => c.service === 'table')
          .map((c) => [c.operation, c.requests]),
      ),
    reset: () => running().reset(),
  };
}
