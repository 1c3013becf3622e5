/**
 * How many requests may wait for results, and the answer to one refused. A waiting request
 * (an ingress call, an attach, an idempotent duplicate latching on) lives until its invocation
 * completes: workerd tells the object nothing when the ingress request is dropped (no abort
 * reaches a Durable Object RPC), so dropped attaches piled up, each keeping a socket open
 * (hostile: 600 took local workerd from 31 to 630 fds; 20,000 crashed it). Past a cap a
 * request is refused at once, before it starts or changes anything, with 429 and a
 * `retry-after`, which Resolute's client retries. Restate sheds with one semaphore per node
 * for all ingress requests (`ingress.concurrent-api-requests-limit`, unlimited by default),
 * each holding its permit until its response is done; past it, 429 "too many requests, the
 * ingress is overloaded. Retry later." from the ingress, without a `retry-after`.
 * Three caps, so that a client holding one invocation id (or a workflow id, or an idempotency
 * key) cannot lock a key: a request that waits for an invocation it did not start (attach,
 * duplicate: a "joining" one) may be one of at most MAX_WAITERS_PER_INVOCATION for that
 * invocation, and joining requests take at most half of each room (a workflow shard's object
 * hosts many workflows, whose ids may be known), so new calls find the other half; each
 * object's room holds MAX_WAITING_REQUESTS, and the isolate's (every object in one isolate:
 * one process locally) MAX_ISOLATE_WAITING_REQUESTS.
 */
import type { InvocationResult } from "./messages.js";

/** Requests waiting in one object (calls and joining ones). */
export const MAX_WAITING_REQUESTS = 1_000;
/** Requests waiting for one invocation's result (its own call's included). */
export const MAX_WAITERS_PER_INVOCATION = 100;
/** Requests waiting in all the objects of one isolate: a quarter of the 20,000 fds that crashed local workerd. */
export const MAX_ISOLATE_WAITING_REQUESTS = 5_000;
/** What a refused request is told to wait before it tries again (the `retry-after` header). */
export const WAITING_RETRY_AFTER_SECONDS = 1;

/** The answer to a request refused because too many wait `where` (the cap's scope, with its size). */
function refusedToWait(id: string, where: string, fix: string): InvocationResult {
  const message =
    `too many requests wait for results ${where}: this one was refused before it started or changed anything; ` +
    `retry after ${WAITING_RETRY_AFTER_SECONDS} s, ${fix}`;
  return { invocationId: id, ok: false, error: { name: "Error", message, code: 429 }, retryAfterSeconds: WAITING_RETRY_AFTER_SECONDS };
}

/** The answer to a request joining `id` when MAX_WAITERS_PER_INVOCATION wait for it already. */
export function refusedToJoin(id: string): InvocationResult {
  return refusedToWait(id, `of invocation '${id}' (${MAX_WAITERS_PER_INVOCATION})`, "or attach fewer at a time (…/output answers without waiting)");
}

/**
 * The requests waiting in one scope (an object, or an isolate: `parent`), counted against
 * `capacity`. A room of an isolate hands one room to each object (`room`), whose counts it
 * adds up; the room of a reset instance is dropped when its object starts again, so requests
 * it never answered do not hold the isolate's room for ever.
 */
export class WaitingRoom {
  #waiting = 0;
  #joining = 0;
  #gone = false;
  /** The rooms of objects in which requests wait now, by host (an isolate's). */
  readonly #rooms = new Map<string, WaitingRoom>();

  private constructor(
    private readonly capacity: number,
    /** The scope, as a refusal names it. */
    private readonly where: string,
    private readonly parent?: WaitingRoom,
    private readonly host?: string,
  ) {}

  /** The room of all the objects in one isolate (MAX_ISOLATE_WAITING_REQUESTS). */
  static ofIsolate(): WaitingRoom {
    return new WaitingRoom(MAX_ISOLATE_WAITING_REQUESTS, `in this isolate, across its objects (${MAX_ISOLATE_WAITING_REQUESTS})`);
  }

  /** The room of one object (MAX_WAITING_REQUESTS) on its own (the memory runtime's objects, tests). */
  static ofObject(): WaitingRoom {
    return new WaitingRoom(MAX_WAITING_REQUESTS, `in this object (${MAX_WAITING_REQUESTS})`);
  }

  /** The room of object `host` within this isolate's; an earlier instance's room for `host` is dropped. */
  room(host: string): WaitingRoom {
    const earlier = this.#rooms.get(host);
    if (earlier) earlier.#leaveAll();
    this.#rooms.delete(host);
    return new WaitingRoom(MAX_WAITING_REQUESTS, `in this object (${MAX_WAITING_REQUESTS})`, this, host);
  }

  /** The answer to a request that may not wait here now (`joining`: for an invocation it did not start), or undefined. */
  refusal(id: string, joining: boolean): InvocationResult | undefined {
    if (this.#waiting >= this.capacity) return refusedToWait(id, this.where, "or use /send and fewer attaches at a time");
    if (joining && this.#joining >= this.capacity / 2) {
      const where = `${this.where} for invocations they did not start (half of the room: the rest is kept for new calls)`;
      return refusedToWait(id, where, "or attach fewer at a time");
    }
    return this.parent?.refusal(id, joining);
  }

  enter(joining: boolean): void {
    if (this.#gone) return;
    this.#count(1, joining);
  }

  leave(joining: boolean): void {
    if (this.#gone) return;
    this.#count(-1, joining);
  }

  #count(by: number, joining: boolean): void {
    this.#waiting += by;
    if (joining) this.#joining += by;
    if (!this.parent) return;
    this.parent.#count(by, joining);
    // Only rooms in which requests wait are kept: an isolate sees many objects come and go.
    if (this.#waiting === 0) this.parent.#rooms.delete(this.host!);
    else if (this.#waiting === 1 && by > 0) this.parent.#rooms.set(this.host!, this);
  }

  /** This room's instance is gone: what it counted leaves the isolate's room, and it counts no more. */
  #leaveAll(): void {
    this.parent!.#waiting -= this.#waiting;
    this.parent!.#joining -= this.#joining;
    this.#gone = true;
  }
}
