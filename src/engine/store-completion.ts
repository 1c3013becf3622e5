/**
 * Writing an invocation's completion: its result (or failure) and the replies to
 * the callers waiting for it, in one synchronous turn.
 * Invariant: finishing never throws. A write that fails (a value the limits missed,
 * a storage error) must not leave the invocation running with its key's lock held
 * and every later call queued behind it: it completes with a small failure that
 * says why, and the failure is logged.
 */
import { TerminalError, errorToRecord, messageOf } from "../../sdk/errors.js";
import type { Callers } from "./callers.js";
import { boundedError } from "./limits.js";
import type { LifecycleStore } from "./lifecycle-store.js";
import type { Subscriber } from "./messages.js";
import type { Completion } from "./types.js";

/** What was stored (the completion, or the failure that replaced it) and how many replies went to the outbox. */
export interface StoredCompletion {
  completion: Completion;
  replies: number;
}

export function storeCompletion(
  store: LifecycleStore,
  callers: Callers,
  logError: (message: string) => void,
  id: string,
  completion: Completion,
  times: { now: number; expiresAt: number },
): StoredCompletion {
  // One synchronous turn commits it all together; no transaction on this hot path: if a write
  // fails half-way, the retry below rewrites the row and every reply (a reply delivered twice
  // completes its entry once).
  let subscribers: Subscriber[] | undefined;
  const write = (c: Completion): number => {
    subscribers ??= callers.takeSubscribers(id);
    store.complete(id, c, times.now, times.expiresAt);
    return callers.reply(subscribers, id, c);
  };
  try {
    return { completion, replies: write(completion) };
  } catch (error) {
    const what = "failure" in completion ? "failure" : "result";
    logError(`the invocation's ${what} could not be stored (${messageOf(error)}): it completes with a failure instead`);
    const message = `the invocation finished but its ${what} could not be stored: ${messageOf(error)}`;
    const failure: Completion = { failure: boundedError(errorToRecord(new TerminalError(message))) };
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
