// Azurite keeps its metadata in LokiJS databases that it writes to its folder every 5 seconds
// (autosave); a SIGKILL loses whatever came after the last save. Azure Storage acknowledges only
// durable writes, so a test that kills Azurite must first let it save what the test relies on, or it
// tests the emulator's data loss instead of the relay.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { eventually } from './relayHarness';

interface Chunk {
  id: string;
  offset: number;
  count: number;
}

/**
 * Writes a marker to every service (a table, a queue message, a blob), then waits until each of
 * Azurite's five database files on disk holds its marker. A database is saved as a whole, so whatever
 * was written to it before the marker is then on disk too.
 */
export async function waitUntilAzuriteSaved(connectionString: string, location: string, timeoutMs = 30_000): Promise<void> {
  const marker = `saved${randomBytes(6).toString('hex')}`;
  await TableClient.fromConnectionString(connectionString, marker, { allowInsecureConnection: true }).createTable();
  const queue = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(marker);
  await queue.create();
  const { messageId } = await queue.sendMessage(marker);
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(marker);
  await container.create();
  await container.getBlockBlobClient(marker).upload(marker, marker.length);
  await eventually('Azurite to save its databases to disk', () => (markerSaved(location, marker, messageId) ? true : undefined), timeoutMs);
}

function markerSaved(location: string, marker: string, messageId: string): boolean {
  if (!documents(location, 'table', '$TABLES_COLLECTION$').some((t) => t.table === marker)) return false;
  const message = documents(location, 'queue', '$MESSAGES_COLLECTION$').find((m) => m.messageId === messageId);
  const blob = documents(location, 'blob', '$BLOBS_COLLECTION$').find((b) => b.containerName === marker && b.name === marker);
  if (!message || !blob) return false;
  // The bytes live in extent files written at once; the extent databases must know they are there.
  return extentCovers(location, 'queue_extent', message.persistency as Chunk) && extentCovers(location, 'blob_extent', blob.persistency as Chunk);
}

function extentCovers(location: string, database: string, chunk: Chunk): boolean {
  const extent = documents(location, database, '$EXTENTS_COLLECTION$').find((e) => e.id === chunk.id);
  return extent !== undefined && Number(extent.size) >= chunk.offset + chunk.count;
}

function documents(location: string, database: string, collection: string): Record<string, unknown>[] {
  let saved: { collections?: { name: string; data: Record<string, unknown>[] }[] };
  try {
    saved = JSON.parse(readFileSync(path.join(location, `__azurite_db_${database}__.json`), 'utf8')) as typeof saved;
  } catch {
    return []; // not saved yet (LokiJS writes a temporary file and renames it, so a read never sees half a file)
  }
  return saved.collections?.find((c) => c.name === collection)?.data ?? [];
}
