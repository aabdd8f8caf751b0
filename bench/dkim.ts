// CPU per DKIM signature (`node dist/bench/dkim.js`): the signing step's whole cost (parsing, body
// hash, header canonicalization, the signature) for RSA-2048 and Ed25519, on a composed message of
// a few sizes, next to the bare signature alone (crypto.sign over a canonicalized header), so the
// body's share shows. Prints a Markdown table; asserts nothing.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { composeMessage } from '../src/core/compose';
import { type DkimKey, dkimSign } from '../src/core/dkim/sign';
import { validateSendRequest } from '../src/core/sendRequest';

const KEYS: DkimKey[] = [
  { domain: 'example.jp', selector: 'rsa', algorithm: 'rsa-sha256', privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey },
  { domain: 'example.jp', selector: 'ed', algorithm: 'ed25519-sha256', privateKey: generateKeyPairSync('ed25519').privateKey },
];

async function composed(textBytes: number): Promise<Buffer> {
  const line = 'ご注文ありがとうございます。Thank you for your order, here is what happens next.\n';
  const text = line.repeat(Math.max(1, Math.ceil(textBytes / Buffer.byteLength(line))));
  const request = validateSendRequest(
    { from: 'App <app@example.jp>', to: 'user@example.net', subject: 'ご注文', text, html: `<p>${text}</p>` },
    { maxRecipients: 10 },
  );
  if (!request.ok) throw new Error(JSON.stringify(request.errors));
  return composeMessage('bench', request.value, new Date());
}

/** CPU microseconds per call (user + system), after a warm-up. */
async function cpuMicros(runs: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(20, runs); i++) await fn();
  const before = process.cpuUsage();
  for (let i = 0; i < runs; i++) await fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / runs;
}

async function main(): Promise<void> {
  const rows: string[] = ['| message | algorithm | signDkim step, CPU µs | of it the bare signature, CPU µs |', '| --- | --- | --- | --- |'];
  const header = Buffer.from('from:App <app@example.jp>\r\nto:user@example.net\r\nsubject:x\r\ndkim-signature:v=1; a=rsa-sha256; b=\r\n');
  for (const size of [500, 20_000, 250_000]) {
    const message = await composed(size);
    for (const key of KEYS) {
      const runs = size >= 250_000 ? 20 : 300;
      const step = await cpuMicros(runs, () => dkimSign(message, key, new Date()));
      const bare = await cpuMicros(runs, () =>
        key.algorithm === 'rsa-sha256' ? sign('sha256', header, key.privateKey) : sign(null, createHash('sha256').update(header).digest(), key.privateKey),
      );
      rows.push(`| ${(message.length / 1000).toFixed(0)} kB | ${key.algorithm} | ${step.toFixed(0)} | ${bare.toFixed(0)} |`);
    }
  }
  console.log(`DKIM signing CPU on node ${process.version} (${process.arch}):\n\n${rows.join('\n')}`);
}

void main();
