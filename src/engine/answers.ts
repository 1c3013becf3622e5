/**
 * What callers get back: an invocation's result as ingress renders it, a send's
 * receipt, and the in-process waiters of invocations not done yet (a request held
 * open by ingress, an attach). Pure; waiters live only as long as this process.
 */
import { isoTime } from "./iso-time.js";
import { STATUS, type InvocationRow } from "./invocation-row.js";
import type { InvocationResult, SendReceipt } from "./messages.js";

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

type Waiter = (result: InvocationResult) => void;

/** Callers in this process waiting for invocations' results. */
export class Waiters {
  readonly #byId = new Map<string, Waiter[]>();

  wait(id: string): Promise<InvocationResult> {
    return new Promise((resolve) => {
      const list = this.#byId.get(id);
      if (list) list.push(resolve);
      else this.#byId.set(id, [resolve]);
    });
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Answers everyone waiting for `id`, once. */
  answer(id: string, result: InvocationResult): void {
    const list = this.#byId.get(id);
    if (!list) return;
    this.#byId.delete(id);
    for (const waiter of list) waiter(result);
  }
}
