/**
 * The invocation table of MemoryRuntime: status, attempt counts, retry times,
 * subscribers, and the exclusive lock of each owner (one exclusive handler per
 * key at a time, in arrival order). Plain bookkeeping; runs no handler code.
 */
import type { ErrorRecord } from "../../sdk/errors.js";
import type { HandlerSpec } from "./registry.js";
import type { Completion, Target } from "./types.js";

/** Same vocabulary as the Durable Object's invocation table. */
export type InvocationStatus = "scheduled" | "pending" | "running" | "backing-off" | "paused" | "completed";

/** A snapshot of one invocation, for assertions. */
export interface InvocationInfo {
  id: string;
  owner: string;
  target: Target;
  status: InvocationStatus;
  /** Attempts started: the first run, every retry and every replay. */
  attempts: number;
  /** Attempts that ended in a retryable failure. */
  failures: number;
  /** When the next attempt (retry) or the delayed start happens, on the runtime's clock. */
  nextAttemptAt?: number;
  lastError?: ErrorRecord;
  completion?: Completion;
  /** An attempt is in memory (executing or waiting on a completion). */
  live: boolean;
}

export interface Invocation {
  readonly id: string;
  readonly owner: string;
  readonly target: Target;
  readonly input: Uint8Array;
  readonly headers: Record<string, string>;
  readonly idempotencyKey?: string;
  readonly spec: HandlerSpec | undefined;
  readonly exclusive: boolean;
  readonly seq: number;
  status: InvocationStatus;
  attempts: number;
  failures: number;
  nextAt?: number;
  lastError?: ErrorRecord;
  completion?: Completion;
  subscribers: { invocationId: string; index: number }[];
}

export interface NewInvocation {
  invocationId: string;
  owner: string;
  target: Target;
  input: Uint8Array;
  headers: Record<string, string>;
  idempotencyKey?: string;
  notBefore?: number;
  replyTo?: { invocationId: string; index: number };
  spec: HandlerSpec | undefined;
  now: number;
}

export class MemoryInvocations {
  readonly #byId = new Map<string, Invocation>();
  /** Owner → invocation holding its exclusive lock. */
  readonly #locks = new Map<string, string>();
  #seq = 0;

  add(req: NewInvocation): Invocation {
    const scheduled = req.notBefore !== undefined && req.notBefore > req.now;
    const inv: Invocation = {
      id: req.invocationId,
      owner: req.owner,
      target: req.target,
      input: req.input,
      headers: req.headers,
      ...(req.idempotencyKey ? { idempotencyKey: req.idempotencyKey } : {}),
      spec: req.spec,
      exclusive: req.spec?.kind === "exclusive" || req.spec?.kind === "workflow",
      seq: this.#seq++,
      status: scheduled ? "scheduled" : "running",
      attempts: 0,
      failures: 0,
      ...(scheduled ? { nextAt: req.notBefore } : {}),
      subscribers: req.replyTo ? [req.replyTo] : [],
    };
    this.#byId.set(inv.id, inv);
    return inv;
  }

  get(id: string): Invocation | undefined {
    return this.#byId.get(id);
  }

  require(id: string): Invocation {
    const inv = this.#byId.get(id);
    if (!inv) throw new Error(`Unknown invocation ${id}`);
    return inv;
  }

  all(): Invocation[] {
    return [...this.#byId.values()];
  }

  withStatus(status: InvocationStatus): Invocation[] {
    return this.all().filter((inv) => inv.status === status);
  }

  /** Retries and delayed starts whose time has come, in arrival order. */
  due(now: number): Invocation[] {
    return this.all().filter((inv) => (inv.status === "backing-off" || inv.status === "scheduled") && inv.nextAt !== undefined && inv.nextAt <= now);
  }

  /** Takes the owner's exclusive lock for `inv`; false when another invocation holds it. */
  takeLock(inv: Invocation): boolean {
    const holder = this.#locks.get(inv.owner);
    if (holder !== undefined && holder !== inv.id) return false;
    this.#locks.set(inv.owner, inv.id);
    return true;
  }

  /** Releases the lock `inv` holds; returns the next pending invocation, now holding it. */
  releaseLock(inv: Invocation): Invocation | undefined {
    if (this.#locks.get(inv.owner) !== inv.id) return undefined;
    this.#locks.delete(inv.owner);
    const next = this.all().find((other) => other.owner === inv.owner && other.status === "pending");
    if (next) this.#locks.set(next.owner, next.id);
    return next;
  }

  info(inv: Invocation, live: boolean): InvocationInfo {
    return structuredClone({
      id: inv.id,
      owner: inv.owner,
      target: inv.target,
      status: inv.status,
      attempts: inv.attempts,
      failures: inv.failures,
      ...(inv.nextAt !== undefined ? { nextAttemptAt: inv.nextAt } : {}),
      ...(inv.lastError ? { lastError: inv.lastError } : {}),
      ...(inv.completion ? { completion: inv.completion } : {}),
      live,
    });
  }
}
