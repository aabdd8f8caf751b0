// What the shaping table's writers share (throttleStore, windowCounts): the bounded retries on a lost
// race, the error that says storage kept changing (never fail open), and the escaping of limit keys.
import { RestError } from '@azure/data-tables';

/** Lost races tried again this often before the reservation gives up (and the task is retried by the queue). */
export const WRITE_TRIES = 16;
/** A few ms times the try number, at random: racers that collided once do not collide in step again. */
export const BACKOFF_MS = 10;

/** The shaping table kept changing under every try: the caller must not send (never fail open). */
export class ThrottleContendedError extends Error {
  override readonly name = 'ThrottleContendedError';
}

/** A conditional write that lost: the row changed (412) or was created meanwhile (409). */
export function lostRace(err: unknown): boolean {
  return err instanceof RestError && (err.statusCode === 409 || err.statusCode === 412);
}

/** Table keys may not hold / \ # ? or control characters; limit keys are policy names, so escape rather than refuse. */
export function partitionKey(key: string): string {
  return key.replace(/[/\\#?%\u0000-\u001f\u007f-\u009f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
