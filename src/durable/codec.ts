/**
 * Conversions between engine values and what SQLite and JSON can hold.
 */
import type { ErrorRecord } from "../../sdk/errors.js";
import type { Completion } from "../engine/types.js";
import { base64ToBytes, bytesToBase64 } from "../engine/bytes.js";

export function toBlob(bytes: Uint8Array | null | undefined): ArrayBuffer | null {
  if (!bytes) return null;
  // Serde output (TextEncoder) owns its whole buffer: hand it over without a copy.
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function fromBlob(value: unknown): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

/** A completion split into the two columns it is stored in. */
export function completionColumns(completion: Completion | undefined): { value: ArrayBuffer | null; failure: string | null } {
  if (!completion) return { value: null, failure: null };
  if ("failure" in completion) return { value: null, failure: JSON.stringify(completion.failure) };
  return { value: toBlob(completion.value ?? new Uint8Array(0)), failure: null };
}

export function completionFromColumns(value: unknown, failure: unknown): Completion {
  if (typeof failure === "string") return { failure: JSON.parse(failure) as ErrorRecord };
  return { value: fromBlob(value) ?? new Uint8Array(0) };
}

/** JSON with Uint8Array support, for outbox payloads. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v instanceof Uint8Array ? { $bytes: bytesToBase64(v) } : v));
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, (_key, v) => (v && typeof v === "object" && typeof v.$bytes === "string" ? base64ToBytes(v.$bytes) : v)) as T;
}

