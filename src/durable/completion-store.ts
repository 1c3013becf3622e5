/**
 * Writing an invocation's completion: its result (or failure) and the replies to
 * the callers waiting for it, in one synchronous turn.
 * Invariant: finishing never throws. A write that fails (a value the limits missed,
 * a storage error) must not leave the invocation running with its key's lock held
 * and every later call queued behind it: it completes with a small failure that
 * says why, and the failure is logged.
 */
import { boundedError } from "../engine/limits.js";
import type { Completion } from "../engine/types.js";
import type { Subscriber } from "./protocol.js";
import type { Store } from "./store.js";

export function storeCompletion(
  store: Store,
  logError: (message: string) => void,
  id: string,
  completion: Completion,
  now: number,
  expiresAt: number,
  replyToCallers: boolean,
): { completion: Completion; replies: number } {
  // One synchronous turn commits it all together; no savepoint on this hot path: if a write
  // fails half-way, the retry below rewrites the row and every reply (a reply delivered twice
  // completes its entry once).
  let subscribers: Subscriber[] | undefined;
  const write = (c: Completion): number => {
    subscribers ??= replyToCallers ? store.takeSubscribers(id) : [];
    store.complete(id, c, now, expiresAt);
    for (const sub of subscribers) store.enqueue(sub.owner, { kind: "complete", owner: sub.owner, invocationId: sub.invocationId, index: sub.index, calleeId: id, completion: c }, now);
    return subscribers.length;
  };
  try {
    return { completion, replies: write(completion) };
  } catch (error) {
    const what = "failure" in completion ? "failure" : "result";
    logError(`the invocation's ${what} could not be stored (${messageOf(error)}): it completes with a failure instead`);
    const failure: Completion = { failure: boundedError({ name: "TerminalError", message: `the invocation finished but its ${what} could not be stored: ${messageOf(error)}`, code: 500 }) };
    try {
      return { completion: failure, replies: write(failure) };
    } catch (again) {
      // Storage refuses even that: the callers in memory are answered and the key is freed;
      // the row stays running, so a restart replays the invocation.
      logError(`the invocation's failure could not be stored either (${messageOf(again)})`);
      return { completion: failure, replies: 0 };
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
