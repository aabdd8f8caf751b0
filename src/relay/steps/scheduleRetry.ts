// Schedule the retry of a deferred recipient: the same task, numbered for the next attempt, visible
// when that attempt is due. It runs before the outcome is recorded: if recording the deferral then
// fails, the queue retries this task and the row still says the attempt was not made; the other way
// round, the row would say it was made and the retry would never be queued.
import { CONTINUE, type DeliveryStep, known } from './step';

export const scheduleRetry: DeliveryStep = {
  name: 'schedule the retry',
  async run(state) {
    const next = known(state.next, 'the planned row');
    if (next.status !== 'deferred' || !next.nextAttemptAt) return CONTINUE;
    const delaySeconds = (next.nextAttemptAt.getTime() - known(state.finishedAt, 'the end of the send').getTime()) / 1000;
    // An inline body travels on as it is, and a task from before attempts were numbered (v1) keeps
    // its body in the blob. A slot or warm-up count was this attempt's: the next one takes its own.
    const { slotAt, slotHost, countedAt, countedHost, ...task } = state.task;
    void slotAt;
    void slotHost;
    void countedAt;
    void countedHost;
    await state.deps.queue.enqueue({ ...task, v: 2, attempt: known(state.attempt, 'the attempt') + 1 }, delaySeconds);
    return CONTINUE;
  },
};
