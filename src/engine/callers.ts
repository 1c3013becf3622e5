/**
 * The callers of an owner host's invocations and what they get back: handlers
 * waiting through a call or an attach (subscribers, answered through the outbox)
 * and requests waiting in this process (ingress, attach: answered in memory).
 * Each is answered once, when the invocation completes, or at once when it is
 * done already or unknown. Also the shapes ingress renders: results and receipts.
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

/**
 * Requests (ingress calls, attaches, idempotent duplicates latching on) one owner host keeps
 * waiting for results, at most. A waiter lives until its invocation completes: workerd tells
 * the object nothing when the ingress request is dropped (no abort reaches a Durable Object
 * RPC), so dropped attaches piled up, each keeping a socket open (hostile: 600 took local
 * workerd from 31 to 630 fds; 20,000 crashed it). Past the cap a request is refused at once.
 * Restate's ingress answers its own concurrency limit with 429; Resolute's client retries it.
 */
export const MAX_WAITING_REQUESTS = 1_000;
/** What a refused request is told to wait before it tries again (the `retry-after` header). */
export const WAITING_RETRY_AFTER_SECONDS = 1;

/** The answer to a request refused because MAX_WAITING_REQUESTS wait already: nothing was started or changed. */
export function refusedToWait(id: string): InvocationResult {
  const message =
    `too many requests wait for results on this object (${MAX_WAITING_REQUESTS}): this one was refused before it started ` +
    `or changed anything; retry after ${WAITING_RETRY_AFTER_SECONDS} s, or use /send and fewer attaches at a time per key`;
  return { invocationId: id, ok: false, error: { name: "Error", message, code: 429 }, retryAfterSeconds: WAITING_RETRY_AFTER_SECONDS };
}

/** Given the completed row. */
type Waiter = (completed: InvocationRow) => void;

export class Callers {
  readonly #waiters = new Map<string, Waiter[]>();
  /** Whether an invocation admitted by this instance has subscribers (absent: ask storage). */
  readonly #hasSubscribers = new Map<string, boolean>();
  /** The requests in #waiters (`wait`), counted against MAX_WAITING_REQUESTS. */
  #requests = 0;

  constructor(
    private readonly store: LifecycleStore,
    private readonly driver: LifecycleDriver,
    /** The result of a completed row, as ingress renders it. */
    private readonly result: (row: InvocationRow) => InvocationResult,
    /** Applies `completion`, the result of `calleeId`, to a subscriber of this owner itself (no outbox row), after this turn's writes. */
    private readonly answerHere: (subscriber: Subscriber, calleeId: string, completion: Completion) => void,
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

  /** No request may wait any more (MAX_WAITING_REQUESTS wait): refuse new ones with `refusedToWait`. */
  get full(): boolean {
    return this.#requests >= MAX_WAITING_REQUESTS;
  }

  /** A request in this process waits for `id`'s result; refused at once when the host is `full`. */
  wait(id: string): Promise<InvocationResult> {
    if (this.full) return Promise.resolve(refusedToWait(id));
    this.#requests++;
    return this.#wait(id, (row) => {
      this.#requests--;
      return this.result(row);
    });
  }

  /** A caller in this process waits for `id`'s completion, as stored (a call answered in its delivery's response). */
  waitCompletion(id: string): Promise<Completion> {
    return this.#wait(id, (row) => row.completion!);
  }

  #wait<T>(id: string, answer: (completed: InvocationRow) => T): Promise<T> {
    return new Promise((resolve) => {
      const waiter: Waiter = (row) => resolve(answer(row));
      const list = this.#waiters.get(id);
      if (list) list.push(waiter);
      else this.#waiters.set(id, [waiter]);
    });
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
