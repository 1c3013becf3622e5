/**
 * An invocation as the object stores it, and the conversions to and from a
 * SQLite row. Pure data; no storage access.
 */
import type { Completion } from "../engine/types.js";
import { completionFromColumns, fromBlob } from "./codec.js";
import type { InvokeRequest } from "./protocol.js";
import { STATUS, type Status } from "./schema.js";

export type Row = Record<string, SqlStorageValue>;

export interface InvocationRow {
  seq: number;
  id: string;
  service: string;
  handler: string;
  key: string | null;
  exclusive: boolean;
  input: Uint8Array;
  headers: Record<string, string>;
  idempotencyKey: string | null;
  invokedBy: string;
  status: Status;
  attempts: number;
  nextAt: number | null;
  completion?: Completion;
  lastFailure: string | null;
  cancelRequested: boolean;
  createdAt: number;
  modifiedAt: number;
  completedAt: number | null;
  expiresAt: number | null;
}

/** Reads a row of the invocations table. */
export function toInvocation(r: Row): InvocationRow {
  const status = r.status as Status;
  return {
    seq: Number(r.seq),
    id: String(r.id),
    service: String(r.service),
    handler: String(r.handler),
    key: (r.key as string | null) ?? null,
    exclusive: r.exclusive === 1,
    input: fromBlob(r.input) ?? new Uint8Array(0),
    headers: JSON.parse(String(r.headers)) as Record<string, string>,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    invokedBy: String(r.invoked_by),
    status,
    attempts: Number(r.attempts),
    nextAt: (r.next_at as number | null) ?? null,
    ...(status === STATUS.completed ? { completion: completionFromColumns(r.result, r.failure) } : {}),
    lastFailure: (r.last_failure as string | null) ?? null,
    cancelRequested: r.cancel_requested === 1,
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
    completedAt: (r.completed_at as number | null) ?? null,
    expiresAt: (r.expires_at as number | null) ?? null,
  };
}

/** The row `insertInvocation` just wrote, without reading it back. */
export function newRow(seq: number, req: InvokeRequest, exclusive: boolean, status: InvocationRow["status"], nextAt: number | null, now: number): InvocationRow {
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
