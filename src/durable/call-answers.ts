/**
 * A call answered in its delivery's response: the callee object admits it and, when
 * it finishes within CALL_ANSWER_WAIT_MS, returns its completion in the RPC's
 * response instead of sending a reply delivery later (two Durable Object requests and
 * two commits fewer per call). The response leaves only when the completion is
 * durable (the output gate, see commit-group.ts), and the caller deletes its outbox
 * row and applies the answer in one commit (outbox.ts). A call that takes longer
 * stores its caller as a subscriber before the response says "accepted", and is
 * answered by a reply delivery as before.
 * Invariant: until the caller has applied the answer it keeps its outbox row, so a
 * caller that dies redelivers and the callee's duplicate check answers with the
 * stored result; so a callee answers this way only when it keeps completed
 * invocations long enough for that (ANSWER_MIN_RETENTION_MS), else it replies.
 */
import type { Lifecycle } from "../engine/lifecycle.js";
import type { InvokeRequest, Subscriber } from "../engine/messages.js";
import { retentionMs, type Registry } from "../engine/registry.js";
import type { Completion } from "../engine/types.js";

/** How long a callee holds a call's delivery response open for the call to finish. */
export const CALL_ANSWER_WAIT_MS = 250;
/** A callee whose completed invocations are kept less than this replies by delivery instead. */
export const ANSWER_MIN_RETENTION_MS = 60 * 60 * 1000;

export type AnswerableCall = InvokeRequest & { replyTo: Subscriber };

/** `request` as a call this object may answer in the response, or undefined (a send, or a short retention). */
export function answerableCall(request: InvokeRequest, registry: Registry): AnswerableCall | undefined {
  if (!request.replyTo) return undefined;
  const spec = registry.handler(request.target.service, request.target.handler);
  if (retentionMs(spec, request.idempotencyKey !== undefined) < ANSWER_MIN_RETENTION_MS) return undefined;
  return request as AnswerableCall;
}

/** Admits `call` and answers with its completion if it finishes soon; else subscribes its caller and answers null. */
export function answerCall(lifecycle: Lifecycle, call: AnswerableCall): Promise<Completion | null> {
  const admitted = lifecycle.admitCall(call);
  if ("completion" in admitted) return Promise.resolve(admitted.completion);
  return new Promise((resolve) => {
    let waiting = true;
    const timer = setTimeout(() => {
      if (!waiting) return;
      waiting = false;
      // From now on the result travels as a reply delivery; the response (after this write) says so.
      lifecycle.subscribe(call.invocationId, call.replyTo);
      admitted.pending.leave(); // its waiter would hold memory until the callee completes (a day's sleep)
      resolve(null);
    }, CALL_ANSWER_WAIT_MS);
    void admitted.pending.completion.then((completion) => {
      if (!waiting) return;
      waiting = false;
      clearTimeout(timer);
      resolve(completion);
    });
  });
}
