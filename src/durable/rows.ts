/**
 * Reading rows of the invocations and journal tables into the engine's InvocationRow and
 * Entry. Pure data; no storage access.
 */
import type { ErrorRecord } from "../../sdk/errors.js";
import { STATUS, type InvocationRow, type InvocationStatus } from "../engine/invocation-row.js";
import type { Entry } from "../engine/types.js";
import { decodeEntry } from "../engine/journal-codec.js";
import { completionFromColumns, fromBlob } from "./codec.js";

export type Row = Record<string, SqlStorageValue>;

/** Reads a row of the invocations table. */
export function toInvocation(r: Row): InvocationRow {
  const status = r.status as InvocationStatus;
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
    lastFailure: failureOf(r.last_failure),
    cancelRequested: r.cancel_requested === 1,
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
    completedAt: (r.completed_at as number | null) ?? null,
    expiresAt: (r.expires_at as number | null) ?? null,
  };
}

/** Journal rows with their invocation's format version and status (for entryFromRow). */
export const ENTRIES = "SELECT j.idx, j.type, j.name, j.done, j.value, j.failure, j.data, i.journal_version, i.status FROM invocations i JOIN journal j ON j.inv_seq = i.seq";

export function entryFromRow(r: Row): Entry {
  const done = r.done === 1;
  const stored = {
    index: Number(r.idx),
    type: String(r.type),
    name: String(r.name),
    done,
    ...(done ? { completion: completionFromColumns(r.value, r.failure) } : {}),
    ...(typeof r.data === "string" ? { data: r.data } : {}),
  };
  return decodeEntry(stored, Number(r.journal_version));
}

/**
 * A stored last failure: the JSON of an ErrorRecord; its raw text as the message when it is
 * not one (written by an older build, or damaged), so that one bad row never fails a listing.
 */
function failureOf(value: SqlStorageValue | undefined): ErrorRecord | null {
  if (typeof value !== "string") return null;
  try {
    const record = JSON.parse(value) as Partial<ErrorRecord> | null;
    if (record && typeof record.message === "string") {
      return { name: String(record.name ?? "Error"), message: record.message, code: typeof record.code === "number" ? record.code : 500, ...(record.metadata ? { metadata: record.metadata } : {}) };
    }
  } catch {
    // not JSON: fall through
  }
  return { name: "Error", message: value, code: 500 };
}
