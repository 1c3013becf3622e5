/**
 * The object's side of ingress coalescing (issue 14): the answers to an `invokeMany`. A member
 * done by the commit of the turn it ran in is answered in the response; one that is not (it
 * waits for the key's lock, a timer, a call) is `pending`, and its own request attaches to it,
 * so no member's answer waits for a slower one. The response leaves only when that commit is
 * durable (the output gate holds it, as it holds `invoke`'s), so no answer precedes its writes.
 */
import { BATCH_BYTES } from "./outbox.js";
import type { BatchAnswer, InvocationResult } from "./protocol.js";

const PENDING: BatchAnswer = { pending: true };

/**
 * `answers` as each stands once `committed` resolves (or all have settled, whichever is first).
 * Results in one response stay under BATCH_BYTES (workerd refuses an RPC over 32 MiB): the
 * ones past it are `pending`, and their requests fetch them one by one.
 */
export async function batchAnswers(answers: readonly Promise<InvocationResult>[], committed: Promise<void>): Promise<BatchAnswer[]> {
  const settled: (BatchAnswer | undefined)[] = answers.map(() => undefined);
  // Registered before allSettled's own handlers, so each runs before allSettled resolves.
  answers.forEach((answer, i) => answer.then(
    (result) => void (settled[i] = { result }),
    (error: unknown) => void (settled[i] = { failed: error instanceof Error ? error.message : String(error) }),
  ));
  await Promise.race([committed, Promise.allSettled(answers)]);
  let bytes = 0;
  return settled.map((answer) => {
    if (answer === undefined) return PENDING;
    if ("result" in answer && answer.result.ok && (bytes += answer.result.value.byteLength) > BATCH_BYTES) return PENDING;
    return answer;
  });
}
