/**
 * The bounds on what enters at ingress, in one place. Each is checked where the
 * value enters and refused with a status and a message that names the limit;
 * the request body's own bound is `createWorker({ maxBodyBytes })`.
 */

/** Longest request URL (Cloudflare's own edge limit is 16 KB): 414 above. */
export const MAX_URL_LENGTH = 16 * 1024;

/** Longest object key or workflow id, in UTF-8 bytes: 400 above. It is part of every invocation id of the key. */
export const MAX_KEY_BYTES = 1024;

/** Longest `idempotency-key` header, in UTF-8 bytes: 400 above. */
export const MAX_IDEMPOTENCY_KEY_BYTES = 1024;

/**
 * Longest `x-restate-limit-key` header, in UTF-8 bytes: 400 above (checked for targets
 * with limits, which use the key). Defined with the limits themselves, for handlers' calls too.
 */
export { MAX_LIMIT_KEY_BYTES } from "../../sdk/flow-control.js";

/**
 * Most headers handed to a handler (and stored with its invocation), counted
 * after credentials and transport headers are dropped: 431 above. Restate's
 * ingress refuses requests with 100 headers or more the same way.
 */
export const MAX_FORWARDED_HEADERS = 64;

/** Most bytes of those headers (names and values): 431 above. */
export const MAX_FORWARDED_HEADER_BYTES = 32 * 1024;

/**
 * Deepest nesting of arrays and objects in a JSON input: 400 above. workerd's
 * structured clone and `String()` overflow the stack at a few thousand levels
 * (measured: objects 2,308, arrays 3,666), so a deeper input could never be
 * handled and would be retried forever.
 */
export const MAX_JSON_DEPTH = 1000;

/** Longest piece of a request (a key, an id, a header) echoed back in an error message. */
const MAX_ECHO = 120;

/** `text` for an error message: quoted, cut to MAX_ECHO characters. */
export function echo(text: string): string {
  return text.length <= MAX_ECHO ? `'${text}'` : `'${text.slice(0, MAX_ECHO)}…' (${text.length} characters)`;
}

const encoder = new TextEncoder();

/** UTF-8 length (ASCII text, the usual case, without encoding it). */
export function utf8Length(text: string): number {
  return /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).byteLength;
}
