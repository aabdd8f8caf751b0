// Composed messages (.eml) live in blobs: a queue message is limited to 64 KiB, so it carries ids only.
import { type ContainerClient, RestError } from '@azure/storage-blob';
import type { MessageBodies } from '../relay/ports';

export class BodyStore implements MessageBodies {
  constructor(private readonly container: ContainerClient) {}

  private blob(messageId: string) {
    return this.container.getBlockBlobClient(`${messageId}.eml`);
  }

  async put(messageId: string, raw: Buffer): Promise<void> {
    await this.blob(messageId).uploadData(raw, { blobHTTPHeaders: { blobContentType: 'message/rfc822' } });
  }

  /** The message, or undefined if its blob is gone; a missing container is an error, not a missing body. */
  async get(messageId: string): Promise<Buffer | undefined> {
    try {
      return await this.blob(messageId).downloadToBuffer();
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404 && errorCode(err) === 'BlobNotFound') return undefined;
      throw err;
    }
  }

  async delete(messageId: string): Promise<void> {
    await this.blob(messageId).deleteIfExists();
  }
}

/** A download's error code comes in the response details rather than in `code`. */
function errorCode(err: RestError): string | undefined {
  return err.code ?? (err.details as { errorCode?: string } | undefined)?.errorCode;
}
