// `npm start`: the whole relay on this machine with no Azure account. Azurite for storage (unless
// AzureWebJobsStorage points elsewhere), a development smart host (unless SMARTHOST_HOST is set), and
// the local Functions host running the same registrations Azure runs.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { createStorageClients, ensureStorageResources } from '../storage/clients';
import { startAzurite, type RunningAzurite } from './azurite';
import { RCPT_PREFIX_REPLIES, relaySettingsFor, startDevSmartHost, type DevSmartHost } from './devSmartHost';
import { spawnHost, type HostProcess } from './hostProcess';
import { loadLocalSettings, localDefaults } from './settings';

const DEV_STORAGE = 'UseDevelopmentStorage=true';
const projectRoot = path.resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  const settings: Record<string, string> = loadLocalSettings(projectRoot);
  const dataDir = path.resolve(projectRoot, settings.RELAY_LOCAL_DATA_DIR);
  let azurite: RunningAzurite | undefined;
  let smartHost: DevSmartHost | undefined;
  let host: HostProcess | undefined;
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping: the function host finishes what it is sending, then storage and the smart host stop.');
    await host?.stop().catch(() => undefined);
    await smartHost?.stop().catch(() => undefined);
    await azurite?.stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    if (settings.AzureWebJobsStorage === DEV_STORAGE) {
      mkdirSync(path.join(dataDir, 'azurite'), { recursive: true });
      azurite = await startAzurite({ location: path.join(dataDir, 'azurite'), blobPort: 10000, queuePort: 10001, tablePort: 10002 });
      console.log(
        `Azurite: blob ${azurite.blobEndpoint}, queue ${azurite.queueEndpoint}, table ${azurite.tableEndpoint} (data in ${path.join(dataDir, 'azurite')})`,
      );
    } else {
      console.log('Storage: using the AzureWebJobsStorage connection string from your settings (no Azurite started).');
    }

    const env: Record<string, string | undefined> = { ...process.env, ...settings };
    if (!settings.SMARTHOST_HOST) {
      const password = randomBytes(18).toString('base64url');
      smartHost = await startDevSmartHost({
        port: 0,
        certificateDir: path.join(dataDir, 'certificate'),
        mailDir: path.join(dataDir, 'mail'),
        users: [{ username: 'relay', password }],
        log: (line) => console.log(line),
      });
      Object.assign(env, relaySettingsFor(smartHost, { username: 'relay', password }), { SMARTHOST_AUTH: 'login' });
      const prefixes = Object.entries(RCPT_PREFIX_REPLIES).map(([prefix, reply]) => `"${prefix}" ${reply.code}`);
      console.log(`  Relayed messages are written to ${path.join(dataDir, 'mail')}; recipients starting with ${prefixes.join(', ')} are refused so.`);
    }

    // checked here so that a bad setting stops before anything starts; the host prints the policy line
    const config = loadConfig(env);
    await ensureStorageResources(createStorageClients(config));
    host = await spawnHost({ env });
    void host.exited.then((code) => {
      if (!stopping) {
        console.error(`The function host exited unexpectedly (code ${code}).`);
        void stopAll(1);
      }
    });
    printWelcome(host.url, settings);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `npm start failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll(1);
  }
}

function printWelcome(url: string, settings: Record<string, string>): void {
  // The embedded development key may be shown; a key of the user's own is a secret and is not.
  const embeddedKey = localDefaults().RELAY_LOCAL_FUNCTION_KEY;
  const key = settings.RELAY_LOCAL_FUNCTION_KEY === embeddedKey ? embeddedKey : '<your RELAY_LOCAL_FUNCTION_KEY>';
  const from = `app@${settings.RELAY_ALLOWED_SENDER_DOMAINS.split(',')[0].trim()}`;
  console.log(`
The relay is running. Send a message:

  curl -i -X POST ${url}/api/v1/messages \\
    -H 'x-functions-key: ${key}' -H 'Content-Type: application/json' \\
    -d '{"from": "${from}", "to": "someone@example.net", "subject": "Hello", "text": "It works."}'

then read its status with: curl -H 'x-functions-key: ${key}' ${url}/api/v1/messages/<id>
Press Ctrl-C to stop.
`);
}

void main();
