/**
 * The sizes Resolute accepts, in one place, and the checks applied where values
 * enter: the engine checks every value it journals or stores (ctx.run results,
 * state values, call and send parameters, awakeable and promise payloads, the
 * handler's result), so the memory runtime and the Durable Objects answer alike.
 * A value over a limit is a TerminalError naming the limit and the value's size:
 * it can never succeed, so it is never retried.
 *
 * Grounded in Durable Object SQLite, measured on workerd 2026-04-26: a string or
 * BLOB, and a whole row, is at most SQLITE_ROW_BYTES (SQLITE_TOOBIG above); a
 * statement at most 100,000 bytes; 100 bound parameters. An invocation's row holds
 * its input, its result, its headers and up to two failures side by side, so
 * MAX_VALUE_BYTES is a little under half a row, and the row always fits:
 * 2 × MAX_VALUE_BYTES + MAX_ENVELOPE_BYTES + 2 × (a bounded failure) < SQLITE_ROW_BYTES.
 * Pure: no I/O.
 */
import { TerminalError, type ErrorRecord } from "../../sdk/errors.js";

/** Largest string, BLOB or row Durable Object SQLite stores (measured). */
export const SQLITE_ROW_BYTES = 2_200_000;
/** Largest single value: an invocation's input or result, a journaled value, a state value. */
export const MAX_VALUE_BYTES = 1024 * 1024;
/** Largest headers, key and idempotency key stored with an invocation, together. */
export const MAX_ENVELOPE_BYTES = 32 * 1024;
/** Longest error message stored (characters); longer ones are cut, with a note. */
export const MAX_ERROR_MESSAGE_CHARS = 4096;
/** The code of a value over a limit: 413 Content Too Large. */
export const LIMIT_EXCEEDED_CODE = 413;

const FIX = "Keep large data elsewhere (R2, KV, your own store) and pass a reference.";
const encoder = new TextEncoder();

/** The error for `what` being `size` bytes over `limit`. */
export function limitError(what: string, size: number, limit: number, limitName: string): TerminalError {
  return new TerminalError(`${what} is ${size} bytes, over the limit of ${limit} bytes (${limitName}): Durable Object storage holds at most ${SQLITE_ROW_BYTES} bytes per row. ${FIX}`, { errorCode: LIMIT_EXCEEDED_CODE });
}

/** The error for a value too large to journal or store, or undefined when it fits. */
export function oversizeValue(what: string, bytes: Uint8Array | null): TerminalError | undefined {
  const size = bytes?.byteLength ?? 0;
  return size > MAX_VALUE_BYTES ? limitError(what, size, MAX_VALUE_BYTES, "MAX_VALUE_BYTES") : undefined;
}

/** Throws the TerminalError when a value is too large: for context calls that fail where they are made. */
export function checkValue(what: string, bytes: Uint8Array | null): void {
  const error = oversizeValue(what, bytes);
  if (error) throw error;
}

/** Why an invocation cannot be stored (input, or headers and keys, too large), or undefined. */
export function oversizeInvocation(req: { input: Uint8Array; headers: Record<string, string>; target: { key?: string }; idempotencyKey?: string }): TerminalError | undefined {
  const input = oversizeValue("the invocation's input", req.input);
  if (input) return input;
  const headers = JSON.stringify(req.headers);
  const key = req.target.key ?? "";
  const idempotencyKey = req.idempotencyKey ?? "";
  // A UTF-16 unit is at most 3 UTF-8 bytes: an envelope under a third of the limit needs no encoding.
  if (3 * (headers.length + key.length + idempotencyKey.length) <= MAX_ENVELOPE_BYTES) return undefined;
  const envelope = encoder.encode(headers).byteLength + encoder.encode(key).byteLength + encoder.encode(idempotencyKey).byteLength;
  return envelope > MAX_ENVELOPE_BYTES ? limitError("the invocation's envelope (its headers, key and idempotency key)", envelope, MAX_ENVELOPE_BYTES, "MAX_ENVELOPE_BYTES") : undefined;
}

/** An error record small enough to store next to a value: long messages cut, large metadata dropped. */
export function boundedError(record: ErrorRecord): ErrorRecord {
  const metadataChars = record.metadata ? JSON.stringify(record.metadata).length : 0;
  if (record.message.length <= MAX_ERROR_MESSAGE_CHARS && record.name.length <= 256 && metadataChars <= MAX_ERROR_MESSAGE_CHARS) return record;
  const cut = record.message.length - MAX_ERROR_MESSAGE_CHARS;
  const message = cut > 0 ? `${record.message.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (${cut} more characters cut: MAX_ERROR_MESSAGE_CHARS)` : record.message;
  const { metadata, ...rest } = record;
  return { ...rest, name: record.name.slice(0, 256), message, ...(metadata && metadataChars <= MAX_ERROR_MESSAGE_CHARS ? { metadata } : {}) };
}
