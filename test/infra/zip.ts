// Reads the deployment zip with fflate, so the tests need no unzip tool.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';

/** The entry names of a zip file, folders included, without inflating anything. */
export function zipEntries(zip: Buffer): string[] {
  const names: string[] = [];
  unzipSync(zip, {
    filter: (file) => {
      names.push(file.name);
      return false;
    },
  });
  return names;
}

/** Writes every file of a zip under `dir`; an entry that would land outside it is refused. */
export function unzipTo(zip: Buffer, dir: string): void {
  const root = path.resolve(dir);
  for (const [name, data] of Object.entries(unzipSync(zip))) {
    const target = path.resolve(root, name);
    if (!target.startsWith(root + path.sep)) throw new Error(`zip entry ${name} points outside the folder`);
    if (name.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, data);
  }
}
