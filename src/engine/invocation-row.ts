/**
 * An invocation as a lifecycle store keeps it: its target and input, where it is
 * in its life (status, failed attempts, when it next runs) and, once completed, its
 * result and when retention forgets it. Pure data.
 */
import type { ErrorRecord } from "../../sdk/errors.js";
import type { InvokeRequest } from "./messages.js";
import type { Completion } from "./types.js";

/** Where an invocation is in its life, named as in Restate's `sys_invocation.status`. */
export const STATUS = {
  /** Queued behind the key's exclusive lock. */
  pending: "pending",
  /** A delayed send waiting for its time. */
  scheduled: "scheduled",
  /**
   * Waiting for a slot of its target's concurrency or rate limit (issue 15), holding its key's
   * lock if exclusive: Restate's name for an invocation that may run once capacity frees up.
   */
  ready: "ready",
  /** An attempt runs, or waits on completions (Restate's "suspended" when none is in memory). */
  running: "running",
  /** Failed; retried at `nextAt`. */
  backingOff: "backing-off",
  /** Out of attempts or paused by an operator or a PauseError: waits for a resume. */
  paused: "paused",
  completed: "completed",
} as const;

export type InvocationStatus = (typeof STATUS)[keyof typeof STATUS];

export interface InvocationRow {
  /** Arrival order within its store (the lock's FIFO order). */
  seq: number;
  id: string;
  service: string;
  handler: string;
  key: string | null;
  /** Takes the key's lock (an object's exclusive handler). */
  exclusive: boolean;
  input: Uint8Array;
  headers: Record<string, string>;
  idempotencyKey: string | null;
  invokedBy: string;
  status: InvocationStatus;
  /** Attempts that ended in a retryable failure (Restate's retry_count). */
  attempts: number;
  /** When a back-off ends or a scheduled invocation starts. */
  nextAt: number | null;
  /** Present once completed. */
  completion?: Completion;
  lastFailure: ErrorRecord | null;
  /** Its next awaited operation must fail with CancelledError. */
  cancelRequested: boolean;
  createdAt: number;
  modifiedAt: number;
  completedAt: number | null;
  /** When retention forgets the completed invocation. */
  expiresAt: number | null;
}

/** The row `insertInvocation` just wrote, without reading it back. */
export function newRow(seq: number, req: InvokeRequest, exclusive: boolean, status: InvocationStatus, nextAt: number | null, now: number): InvocationRow {
  return {
    seq,
    id: req.invocationId,
    service: req.target.service,
    handler: req.target.handler,
    key: req.target.key ?? null,
    exclusive,
    input: req.input,
    headers: req.headers,
    idempotencyKey: req.idempotencyKey ?? null,
    invokedBy: req.invokedBy,
    status,
    attempts: 0,
    nextAt,
    lastFailure: null,
    cancelRequested: false,
    createdAt: now,
    modifiedAt: now,
    completedAt: null,
    expiresAt: null,
  };
}

/** The target a row runs. */
export function targetOf(row: InvocationRow): { service: string; handler: string; key?: string } {
  return { service: row.service, handler: row.handler, ...(row.key !== null ? { key: row.key } : {}) };
}
