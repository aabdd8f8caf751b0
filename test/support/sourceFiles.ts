// The project's own source files, for the tests that check rules on the code as text.
import { readdirSync } from 'node:fs';
import path from 'node:path';

/** The repository root, from dist/test/support. */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Every .ts/.js (also .cjs/.mjs) file under `dir` (relative to the repository root), declarations left out. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(relative));
    else if (/\.(c|m)?[jt]s$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(relative);
  }
  return out;
}
