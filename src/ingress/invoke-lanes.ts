/**
 * Ingress coalescing (issue 14): invokes of one object key's exclusive handlers that reach
 * this isolate while a call to that key is in flight go to its Durable Object together, as
 * one `invokeMany` RPC, instead of one RPC each. On a hot key that is one RPC (one Durable
 * Object request, which is what Cloudflare bills) per batch instead of per call.
 *
 * - A request alone (nothing of its key in flight here) is a plain `invoke`: a key's first
 *   or only call, and sequential calls, pay nothing for this.
 * - Batches of a key go one after another: the next leaves when the previous is answered, so
 *   arrival order here is the order the object admits them in. An `invokeMany` is answered
 *   when the commit holding its admissions is durable; a member not done by then comes back
 *   `pending` and its own request attaches to it, so no answer waits for a slower member and
 *   a batch holds the next one back for one commit at most.
 * - Shared handlers, services, workflows and limited handlers are never queued here: nothing
 *   orders them behind an exclusive call (a limited one waits for its limiter, so it would
 *   always come back `pending`).
 * - Each request's answer comes back to it in its own context (a promise it made, settled
 *   from the request that sent the batch: workerd runs the continuation in the request that
 *   awaits it). The sender keeps the batch's RPC alive with `waitUntil`, so its own client
 *   going away does not cancel the others' answers; a queued request that goes away still
 *   has its invocation run, as when a client leaves during a plain `invoke`.
 */
import { BATCH_BYTES } from "../durable/outbox.js";
import type { BatchAnswer, InvocationResult, InvokeRequest, ObjectRpc } from "../durable/protocol.js";

/** Members per batch: one response stays small, and the object's turn for one batch short. */
export const MAX_BATCH_MEMBERS = 64;

/** How long a queued request waits for its batch's answer before it invokes on its own (see #queued). */
const FALLBACK_MS = 10_000;

/** A member's outcome: its answer, or the error the whole RPC failed with. */
type Outcome = { answer: BatchAnswer } | { error: unknown };

interface Member {
  request: InvokeRequest;
  bytes: number;
  settle: (outcome: Outcome) => void;
  /** Wakes the member's own request to send the next batch (a batch ended, it is still queued). */
  wake: () => void;
}

interface Lane {
  /** Plain invokes of this key in flight (a request alone). */
  plain: number;
  /** An `invokeMany` of this key is in flight. */
  sending: boolean;
  queue: Member[];
}

/** What a request hands to the lanes: its own stub maker (a stub is its request's) and its `waitUntil`. */
export interface Caller {
  open: () => ObjectRpc;
  keepAlive?: (work: Promise<unknown>) => void;
}

export class InvokeLanes {
  readonly #lanes = new Map<string, Lane>();

  /** `request`'s result: alone, a plain `invoke`; else with the others of its key (see above). */
  async invoke(caller: Caller, request: InvokeRequest): Promise<InvocationResult> {
    let lane = this.#lanes.get(request.owner);
    if (!lane) this.#lanes.set(request.owner, (lane = { plain: 0, sending: false, queue: [] }));
    if (lane.plain === 0 && !lane.sending && lane.queue.length === 0) {
      lane.plain++;
      try {
        return await caller.open().invoke(request);
      } finally {
        lane.plain--;
        this.#drop(request.owner, lane);
      }
    }
    const outcome = await this.#queued(caller, request.owner, lane, request);
    if ("error" in outcome) throw outcome.error;
    const { answer } = outcome;
    if ("result" in answer) return answer.result;
    if ("failed" in answer) throw new Error(answer.failed);
    return attached(caller, request);
  }

  async #queued(caller: Caller, key: string, lane: Lane, request: InvokeRequest): Promise<Outcome> {
    let settle!: (outcome: Outcome) => void;
    const done = new Promise<Outcome>((resolve) => (settle = resolve));
    const member: Member = { request, bytes: requestBytes(request), settle, wake: () => {} };
    lane.queue.push(member);
    // workerd cancels a request that waits only on promises other requests settle (it looks
    // hung): the timer is this request's own pending event, and its way out if the batch's
    // sender never reports (its request died): the same invocation id, invoked directly,
    // latches onto the invocation the batch admitted, or admits it.
    const fallback = setTimeout(() => {
      const queued = lane.queue.indexOf(member);
      if (queued >= 0) lane.queue.splice(queued, 1);
      caller.open().invoke(request).then((result) => settle({ answer: { result } }), (error: unknown) => settle({ error }));
    }, FALLBACK_MS);
    try {
      for (;;) {
        const woken = new Promise<undefined>((resolve) => (member.wake = () => resolve(undefined)));
        this.#send(caller, key, lane);
        const outcome = await Promise.race([done, woken]);
        if (outcome) return outcome;
      }
    } finally {
      clearTimeout(fallback);
    }
  }

  /** Sends the key's next batch from the calling request, unless one is in flight. */
  #send(caller: Caller, key: string, lane: Lane): void {
    if (lane.sending || lane.queue.length === 0) return;
    lane.sending = true;
    const batch = takeBatch(lane.queue);
    const sent = caller.open().invokeMany(batch.map((m) => m.request)).then(
      (answers) => batch.forEach((m, i) => m.settle({ answer: answers[i] ?? { failed: "the object answered fewer invocations than it was sent" } })),
      (error: unknown) => batch.forEach((m) => m.settle({ error })),
    ).finally(() => {
      lane.sending = false;
      // The first still queued sends the next batch, from its own request (woken there). Should
      // its request be gone, the next arrival sends it, or at worst each one's timer.
      lane.queue[0]?.wake();
      this.#drop(key, lane);
    });
    caller.keepAlive?.(sent);
  }

  #drop(key: string, lane: Lane): void {
    if (lane.plain === 0 && !lane.sending && lane.queue.length === 0) this.#lanes.delete(key);
  }
}

/** The first queued members, up to MAX_BATCH_MEMBERS and BATCH_BYTES (always at least one). */
function takeBatch(queue: Member[]): Member[] {
  let count = 0;
  let bytes = 0;
  while (count < queue.length && count < MAX_BATCH_MEMBERS && (count === 0 || bytes + queue[count]!.bytes <= BATCH_BYTES)) bytes += queue[count++]!.bytes;
  return queue.splice(0, count);
}

/** About what a request weighs in the RPC: its input and headers. */
function requestBytes(request: InvokeRequest): number {
  let bytes = request.input.byteLength + 512;
  for (const name in request.headers) bytes += name.length + request.headers[name]!.length;
  return bytes;
}

/** A member the batch answered `pending`: its result, waited for by its own request. */
async function attached(caller: Caller, request: InvokeRequest): Promise<InvocationResult> {
  const found = await caller.open().attach(request.owner, request.invocationId);
  if (found.state === "done") return found.result;
  throw new Error(`invocation ${request.invocationId} was admitted but its object no longer knows it`);
}
