// A memo in front of the real, pinned Bicep CLI for tests that run infra/deploy.sh many times: each
// run compiles the same infra/main.bicep and mostly evaluates it for the same parameters, and the
// Bicep CLI (a .NET program) spends seconds of CPU on each call. deploy.sh and check-settings.js
// reach it through infra/bicep.sh, which runs BICEP_BIN when set. The first call with given inputs
// runs the real CLI; a later call with byte-identical inputs (every .bicep file under infra/, the
// .bicepparam text and the arguments) gets the same files, output and status back. A failed call is
// not kept, so every refusal comes from Bicep itself.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { bicepStatus, infraDir, repoRoot } from './bicep';

const wrapper = path.join(repoRoot, 'test', 'infra', 'bicep-memo.sh');

/**
 * Keeps answers under dir and returns the environment that makes infra/bicep.sh use
 * it, or {} when no Bicep CLI is here (the runs then meet bicep.sh's own "no Bicep" answer).
 */
export function bicepMemoEnv(dir: string): Record<string, string> {
  const status = bicepStatus();
  if (!status.available) return {};
  mkdirSync(path.join(dir, 'entries'), { recursive: true });
  return { BICEP_BIN: wrapper, REAL_BICEP: status.message, BICEP_MEMO_DIR: path.join(dir, 'entries'), BICEP_MEMO_SOURCES: infraDir };
}
