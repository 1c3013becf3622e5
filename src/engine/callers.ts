/**
 * The callers of an owner host's invocations and what they get back: handlers
 * waiting through a call or an attach (subscribers, answered through the outbox)
 * and requests waiting in this process (ingress, attach: answered in memory).
 * Each is answered once, when the invocation completes, or at once when it is
 * done already or unknown; how many requests may wait is waiting-room.ts's. Also the
 * shapes ingress renders: results and receipts.
 */
import type { ErrorRecord } from "../../sdk/errors.js";
import { terminalFailure } from "./completions.js";
import { invocationOwner } from "./ids.js";
import { isoTime } from "./iso-time.js";
import { STATUS, type InvocationRow } from "./invocation-row.js";
import type { LifecycleDriver } from "./lifecycle-driver.js";
import type { LifecycleStore } from "./lifecycle-store.js";
import type { InvocationResult, SendReceipt, Subscriber } from "./messages.js";
import type { Completion } from "./types.js";
import { MAX_WAITERS_PER_INVOCATION, WaitingRoom, refusedToJoin } from "./waiting-room.js";

/** The result of a completed row; `contentType` is its handler's output content type. */
export function resultOf(row: InvocationRow, contentType: string | undefined): InvocationResult {
  const completion = row.completion!;
  const expires = row.idempotencyKey && row.expiresAt ? { idempotencyExpiresAt: row.expiresAt } : {};
  if ("failure" in completion) return { invocationId: row.id, ok: false, error: completion.failure, ...expires };
  return { invocationId: row.id, ok: true, value: completion.value ?? new Uint8Array(0), ...(contentType ? { contentType } : {}), ...expires };
}

/** A one-way send's answer: `previously` when the invocation existed already (same id). */
export function receiptOf(row: InvocationRow, previously: boolean): SendReceipt {
  const executionTime = row.status === STATUS.scheduled ? isoTime(row.nextAt) : undefined;
  return { invocationId: row.id, status: previously ? "PreviouslyAccepted" : "Accepted", ...(executionTime ? { executionTime } : {}) };
}

/** Given the completed row. */
type Waiter = (completed: InvocationRow) => void;

/** A caller in this process waiting for a completion, and how it stops waiting first. */
export interface CompletionWait {
  completion: Promise<Completion>;
  /** It no longer waits (its answer travels another way): its waiter goes now, not at completion. */
  leave(): void;
}

export class Callers {
  readonly #waiters = new Map<string, Waiter[]>();
  /** Whether an invocation admitted by this instance has subscribers (absent: ask storage). */
  readonly #hasSubscribers = new Map<string, boolean>();
  /** The ingress requests in #waiters per invocation (a handler's call is none), against MAX_WAITERS_PER_INVOCATION. */
  readonly #requests = new Map<string, number>();

  constructor(
    private readonly store: LifecycleStore,
    private readonly driver: LifecycleDriver,
    /** The result of a completed row, as ingress renders it. */
    private readonly result: (row: InvocationRow) => InvocationResult,
    /** Applies `completion`, the result of `calleeId`, to a subscriber of this owner itself (no outbox row), after this turn's writes. */
    private readonly answerHere: (subscriber: Subscriber, calleeId: string, completion: Completion) => void,
    /** Where the requests waiting here are counted (waiting-room.ts). */
    private readonly room: WaitingRoom = WaitingRoom.ofObject(),
  ) {}

  /** A new invocation, with the caller (a handler's call) that waits for it, if any. */
  admitted(id: string, subscriber: Subscriber | undefined): void {
    if (subscriber) this.store.addSubscriber(id, subscriber);
    this.#hasSubscribers.set(id, subscriber !== undefined);
  }

  /** A handler waits for `row`'s result (undefined: there is no such invocation). */
  subscribe(id: string, row: InvocationRow | undefined, subscriber: Subscriber): void {
    if (row && row.status !== STATUS.completed) {
      this.store.addSubscriber(id, subscriber);
      if (this.#hasSubscribers.has(id)) this.#hasSubscribers.set(id, true);
      return;
    }
    const notFound = terminalFailure(`invocation '${id}' not found`, 404);
    if (this.#reply(subscriber, id, row?.completion ?? notFound)) this.driver.deliverSoon();
  }

  /** The answer to a new call that may not wait here now (nothing is admitted then), or undefined. */
  refusal(id: string): InvocationResult | undefined {
    return this.room.refusal(id, false);
  }

  /** A request in this process waits for the result of `id`, the invocation it just started (`refusal` said it may). */
  wait(id: string): Promise<InvocationResult> {
    return this.#waitRequest(id, false);
  }

  /**
   * A request in this process waits for the result of `id`, an invocation it did not start (an
   * attach, an idempotent duplicate): refused at once when MAX_WAITERS_PER_INVOCATION wait for
   * it, or joining requests fill their half of a room (a client holding one id locks nothing).
   */
  join(id: string): Promise<InvocationResult> {
    const refused = (this.#requests.get(id) ?? 0) >= MAX_WAITERS_PER_INVOCATION ? refusedToJoin(id) : this.room.refusal(id, true);
    return refused ? Promise.resolve(refused) : this.#waitRequest(id, true);
  }

  #waitRequest(id: string, joining: boolean): Promise<InvocationResult> {
    this.room.enter(joining);
    this.#requests.set(id, (this.#requests.get(id) ?? 0) + 1);
    return new Promise((resolve) => {
      this.#add(id, (row) => {
        this.room.leave(joining);
        resolve(this.result(row));
      });
    });
  }

  /** A caller in this process waits for `id`'s completion, as stored (a call answered in its delivery's response). */
  waitCompletion(id: string): CompletionWait {
    let leave = () => {};
    const completion = new Promise<Completion>((resolve) => {
      const waiter: Waiter = (row) => resolve(row.completion!);
      this.#add(id, waiter);
      leave = () => this.#remove(id, waiter);
    });
    return { completion, leave };
  }

  #add(id: string, waiter: Waiter): void {
    const list = this.#waiters.get(id);
    if (list) list.push(waiter);
    else this.#waiters.set(id, [waiter]);
  }

  #remove(id: string, waiter: Waiter): void {
    const list = this.#waiters.get(id);
    const at = list?.indexOf(waiter) ?? -1;
    if (at < 0) return; // answered already
    list!.splice(at, 1);
    if (list!.length === 0) this.#waiters.delete(id);
  }

  /** How many requests and handlers' calls in this process wait for results here (memory only; tests read it). */
  get waiting(): number {
    let count = 0;
    for (const list of this.#waiters.values()) count += list.length;
    return count;
  }

  /** The handlers waiting for `id`'s result, taken: each gets one reply. */
  takeSubscribers(id: string): Subscriber[] {
    const subscribers = this.#hasSubscribers.get(id) === false ? [] : this.store.takeSubscribers(id);
    this.#hasSubscribers.delete(id);
    return subscribers;
  }

  /** A handler's call is refused (its id is another request's): it gets `failure` instead of a result. */
  refuse(subscriber: Subscriber, calleeId: string, failure: ErrorRecord): void {
    if (this.#reply(subscriber, calleeId, { failure })) this.driver.deliverSoon();
  }

  /** Sends `completion`, the result of `calleeId`, to each subscriber; how many replies went to the outbox. */
  reply(subscribers: readonly Subscriber[], calleeId: string, completion: Completion): number {
    let enqueued = 0;
    for (const sub of subscribers) if (this.#reply(sub, calleeId, completion)) enqueued++;
    return enqueued;
  }

  /** `row` completed: the requests in this process waiting for it get its result, once. */
  answerWaiters(row: InvocationRow, completion: Completion, expiresAt: number): void {
    const waiters = this.#waiters.get(row.id);
    if (!waiters) return;
    this.#waiters.delete(row.id);
    this.#requests.delete(row.id);
    const completed = { ...row, status: STATUS.completed, completion, expiresAt };
    for (const waiter of waiters) waiter(completed);
  }

  /** Whether the reply went to the outbox: one to the callee's own owner (a call that ran beside its caller) is applied here. */
  #reply(sub: Subscriber, calleeId: string, completion: Completion): boolean {
    if (sub.owner === invocationOwner(calleeId)) return this.answerHere(sub, calleeId, completion), false;
    const delivery = { kind: "complete", owner: sub.owner, invocationId: sub.invocationId, index: sub.index, calleeId, completion } as const;
    this.store.enqueue(sub.owner, delivery, this.driver.now());
    return true;
  }
}
