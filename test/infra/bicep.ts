// Shared by the infra tests: finds the Bicep CLI through infra/bicep.sh, compiles infra/main.bicep
// and evaluates it for given parameters with `bicep snapshot`, which resolves every expression that
// does not need a live Azure (names, ids, conditions, role ids) and leaves runtime values such as
// reference(...).clientId as ARM expression strings.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';

const run = promisify(execFile);

/** the repository root, from dist/test/infra or test/infra alike */
export const repoRoot = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');
export const infraDir = path.join(repoRoot, 'infra');
export const templatePath = path.join(infraDir, 'main.bicep');
const bicepScript = path.join(infraDir, 'bicep.sh');

export const fakeSubscription = '00000000-0000-0000-0000-00000000c0de';
export const fakeTenant = '00000000-0000-0000-0000-0000000000aa';
export const fakeResourceGroup = 'rg-relay-test';
export const fakeLocation = 'swedencentral';

interface BicepStatus {
  available: boolean;
  message: string;
}

let status: BicepStatus | undefined;

/** Whether a Bicep CLI can be had here; restores the pinned one from NuGet on first use. */
export function bicepStatus(): BicepStatus {
  if (!status) {
    const r = spawnSync('bash', [bicepScript, '--which'], { encoding: 'utf8' });
    if (r.status === 0) status = { available: true, message: r.stdout.trim() };
    else if (r.status === 3) status = { available: false, message: r.stderr.trim() };
    else status = { available: false, message: `infra/bicep.sh failed (exit ${r.status}):\n${r.stderr}` };
  }
  return status;
}

/**
 * The `skip` option for a suite that needs Bicep: false when it is there; otherwise the reason,
 * except in CI, where a missing Bicep must fail the run rather than quietly skip it.
 */
export function skipWithoutBicep(): false | string {
  const s = bicepStatus();
  if (s.available) return false;
  if (process.env.CI === 'true') return false;
  return `Bicep CLI not available, so the template is not checked here.\n${s.message}`;
}

function assertBicep(): void {
  const s = bicepStatus();
  assert.ok(s.available, `the Bicep CLI is required here (CI=${process.env.CI ?? ''}):\n${s.message}`);
}

export async function bicep(args: string[], cwd = repoRoot): Promise<{ stdout: string; stderr: string }> {
  assertBicep();
  try {
    return await run('bash', [bicepScript, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    assert.fail(`bicep ${args.join(' ')} exited ${e.code}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

export type ArmResource = {
  type: string;
  name: string;
  id?: string;
  condition?: unknown;
  identity?: { type: string; userAssignedIdentities?: Record<string, unknown> };
  properties?: Record<string, unknown>;
  [key: string]: unknown;
};

export interface ArmTemplate {
  parameters: Record<
    string,
    { type: string; defaultValue?: unknown; minValue?: number; maxValue?: number; allowedValues?: unknown[]; metadata?: { description?: string } }
  >;
  resources: ArmResource[] | Record<string, ArmResource>;
  outputs: Record<string, { type: string; value: unknown }>;
  [key: string]: unknown;
}

let compiled: Promise<{ template: ArmTemplate; text: string; stderr: string }> | undefined;

/** infra/main.bicep compiled to ARM JSON (once per test process). */
export function compileTemplate(): Promise<{ template: ArmTemplate; text: string; stderr: string }> {
  compiled ??= bicep(['build', templatePath, '--stdout']).then(({ stdout, stderr }) => ({
    template: JSON.parse(stdout) as ArmTemplate,
    text: stdout,
    stderr,
  }));
  return compiled;
}

export function resourcesOf(template: { resources: ArmResource[] | Record<string, ArmResource> }): ArmResource[] {
  return Array.isArray(template.resources) ? template.resources : Object.values(template.resources);
}

export interface Snapshot {
  predictedResources: ArmResource[];
  outputs: Record<string, unknown>;
  diagnostics: unknown[];
  /** the snapshot file as written, to search for leaked values */
  text: string;
}

/** Evaluates infra/main.bicep for these parameter values in a fake subscription and resource group. */
export async function snapshot(params: Record<string, BicepValue>): Promise<Snapshot> {
  const dir = mkdtempSync(path.join(tmpdir(), 'relay-bicep-'));
  try {
    const paramFile = path.join(dir, 'test.bicepparam');
    // .bicepparam insists on a relative path to its template.
    const using = path.relative(dir, templatePath).split(path.sep).join('/');
    const lines = [`using '${using}'`, ...Object.entries(params).map(([k, v]) => `param ${k} = ${bicepLiteral(v)}`)];
    writeFileSync(paramFile, lines.join('\n') + '\n');
    await bicep([
      'snapshot',
      paramFile,
      '--subscription-id',
      fakeSubscription,
      '--tenant-id',
      fakeTenant,
      '--resource-group',
      fakeResourceGroup,
      '--location',
      fakeLocation,
    ]);
    const text = readFileSync(path.join(dir, 'test.snapshot.json'), 'utf8');
    return { ...(JSON.parse(text) as Omit<Snapshot, 'text'>), text };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type BicepValue = string | number | boolean | readonly BicepValue[] | { readonly [key: string]: BicepValue };

function bicepLiteral(v: BicepValue): string {
  if (Array.isArray(v)) return `[${v.map((item: BicepValue) => bicepLiteral(item)).join(', ')}]`;
  if (typeof v === 'object')
    return `{ ${Object.entries(v)
      .map(([key, item]) => `${bicepLiteral(key)}: ${bicepLiteral(item)}`)
      .join(', ')} }`;
  if (typeof v !== 'string') return String(v);
  // Bicep's escapes: a PEM's line breaks, and "${", which would otherwise interpolate
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\$\{/g, '\\${')}'`;
}

/** the parameters every deployment must give (they have no default) */
export const requiredParams = {
  allowedSenderDomains: 'example.com,example.jp',
  smartHostHost: 'smtp.example.net',
  smartHostUsername: 'relay@example.com',
};

export function ofType(resources: ArmResource[], type: string): ArmResource[] {
  return resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
}

export function single(resources: ArmResource[], type: string): ArmResource {
  const found = ofType(resources, type);
  assert.equal(found.length, 1, `expected exactly one ${type}, found ${found.length}`);
  return found[0];
}

export function appSettingsOf(snap: Snapshot): Record<string, string> {
  const config = ofType(snap.predictedResources, 'Microsoft.Web/sites/config').filter((r) => r.name.endsWith('/appsettings'));
  assert.equal(config.length, 1, 'expected one Microsoft.Web/sites/config appsettings resource');
  return config[0].properties as Record<string, string>;
}
