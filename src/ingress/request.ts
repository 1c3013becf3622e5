/**
 * Reading and checking what an HTTP request carries: the URL, the body, the
 * headers passed to the handler, the idempotency key and `?delay=`, each within
 * its limit (limits.ts). Every problem is an `IngressError` with the status to answer.
 */
import { delayProblem, parseDurationText } from "../../sdk/duration.js";
import { LIMIT_KEY_HEADER, limitKeyProblem } from "../../sdk/flow-control.js";
import { IngressError } from "./responses.js";
import { MAX_FORWARDED_HEADERS, MAX_FORWARDED_HEADER_BYTES, MAX_IDEMPOTENCY_KEY_BYTES, MAX_URL_LENGTH, echo, utf8Length } from "./limits.js";

/** Credentials never reach handlers (or the journal). */
const DROPPED_HEADERS = new Set(["authorization", "cookie"]);
/**
 * Transport and platform headers describe the hop, not the request; they are
 * stored with every invocation, so keeping them would cost bytes on each commit.
 */
const HOP_HEADERS = new Set(["host", "connection", "content-length", "accept-encoding", "keep-alive", "transfer-encoding", "cdn-loop", "true-client-ip", "x-real-ip"]);
const HOP_PREFIXES = ["cf-", "x-forwarded-", "mf-", "x-restateclient-"];

function isForwarded(name: string): boolean {
  if (DROPPED_HEADERS.has(name) || HOP_HEADERS.has(name)) return false;
  for (const prefix of HOP_PREFIXES) if (name.startsWith(prefix)) return false;
  return true;
}

/**
 * The whole body, refusing with 413 as soon as it is known to be larger than
 * `maxBytes`: from `content-length` before reading, else while streaming.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  try {
    return await readWithin(request, maxBytes);
  } catch (error) {
    if (error instanceof IngressError) throw error;
    // The client went away (or broke the framing) before its body ended: its failure, not ours,
    // so an answer rather than an "unexpected error" logged for every dropped upload.
    throw new IngressError(400, `the request body could not be read to its end: ${(error as Error).message}`);
  }
}

async function readWithin(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes, Number(declared));
    // Within the limit: one read (the runtime enforces the declared length). Not touching
    // `request.body` first saves building a stream object on every request.
    return new Uint8Array(await request.arrayBuffer());
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return concat(chunks, total);
}

function tooLarge(maxBytes: number, size?: number): IngressError {
  const what = size === undefined ? "the request body is" : `the request body (${size} bytes) is`;
  return new IngressError(413, `${what} larger than the limit of ${maxBytes} bytes`);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * The request's own headers (lower-case names): no credentials, no transport or
 * platform headers. They are stored with the invocation: 431 beyond
 * MAX_FORWARDED_HEADERS headers or MAX_FORWARDED_HEADER_BYTES bytes.
 */
export function forwardedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  let bytes = 0;
  // Headers yield their names in lower case (Fetch standard: "sort and combine").
  headers.forEach((value, name) => {
    if (!isForwarded(name)) return;
    out[name] = value;
    count++;
    bytes += utf8Length(name) + utf8Length(value);
  });
  if (count > MAX_FORWARDED_HEADERS) throw headersTooLarge(`${count} headers, more than the limit of ${MAX_FORWARDED_HEADERS}`);
  if (bytes > MAX_FORWARDED_HEADER_BYTES) throw headersTooLarge(`${bytes} bytes of headers, more than the limit of ${MAX_FORWARDED_HEADER_BYTES}`);
  return out;
}

function headersTooLarge(what: string): IngressError {
  return new IngressError(431, `the request has ${what} (credentials and transport headers not counted): they are stored with the invocation, send fewer or smaller ones`);
}

/** Refuses with 414 a URL longer than MAX_URL_LENGTH, before anything reads it. */
export function checkUrlLength(url: string): void {
  if (url.length > MAX_URL_LENGTH) throw new IngressError(414, `the URL has ${url.length} characters, more than the limit of ${MAX_URL_LENGTH}: use a shorter key or id`);
}

/** A request URL split once: the whole (for its length), its path and its query (absent when it has none). */
export interface RequestUrl {
  href: string;
  pathname: string;
  query?: URLSearchParams;
}

/**
 * The path and query of a request URL (absolute and already normalized by the
 * runtime) without a full URL parse: most requests carry no query at all.
 */
export function splitUrl(url: string): RequestUrl {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return { href: url, pathname: "/" };
  const mark = url.indexOf("?", start);
  if (mark < 0) return { href: url, pathname: url.slice(start) };
  return { href: url, pathname: url.slice(start, mark), query: new URLSearchParams(url.slice(mark + 1)) };
}

/**
 * `?delay=` of a send, in ms. Restate's clients send `1000ms`; `10s`, `5m`,
 * `1h30m` and ISO 8601 (`PT10S`, `P1DT2H`) are accepted too. Undefined when
 * absent; 400 when malformed, or when given on a call (only a send can wait).
 */
export function parseDelay(query: URLSearchParams | undefined, send: boolean): number | undefined {
  // The parameter's name in any case, as Restate's ingress reads it.
  const text = query ? delayParameter(query) : null;
  if (text === null) return undefined;
  if (!send) throw new IngressError(400, `'delay' is only allowed on a one-way send: add /send to the path`);
  const ms = parseDurationText(text) ?? parseIsoDuration(text);
  if (ms === undefined) {
    throw new IngressError(400, `bad delay ${echo(text)}: use a duration such as 500ms, 10s, 5m, 1h30m or PT10S`);
  }
  const problem = delayProblem(ms);
  if (problem) throw new IngressError(400, `bad delay ${echo(text)}: ${problem}`);
  return ms;
}

function delayParameter(query: URLSearchParams): string | null {
  for (const [name, value] of query) if (name.toLowerCase() === "delay") return value;
  return null;
}

const ISO_DURATION = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** `P[nD][T[nH][nM][nS]]`; undefined for anything else (including bare `P`/`PT`). */
function parseIsoDuration(text: string): number | undefined {
  const match = ISO_DURATION.exec(text.trim());
  if (!match || match.slice(1).every((part) => part === undefined)) return undefined;
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number];
  return Math.round(days * 86_400_000 + hours * 3_600_000 + minutes * 60_000 + seconds * 1_000);
}

/** The `idempotency-key` header; an empty value counts as absent; 400 beyond MAX_IDEMPOTENCY_KEY_BYTES. */
export function idempotencyKeyOf(headers: Headers): string | undefined {
  const key = headers.get("idempotency-key") || undefined;
  if (key !== undefined && utf8Length(key) > MAX_IDEMPOTENCY_KEY_BYTES) {
    throw new IngressError(400, `the idempotency-key has ${utf8Length(key)} bytes, more than the limit of ${MAX_IDEMPOTENCY_KEY_BYTES}`);
  }
  return key;
}

/** Refuses with 400 an `x-restate-limit-key` header longer than MAX_LIMIT_KEY_BYTES (it names a limiter object). */
export function checkLimitKey(headers: Headers): void {
  const key = headers.get(LIMIT_KEY_HEADER);
  const problem = key ? limitKeyProblem(key) : undefined;
  if (problem) throw new IngressError(400, `${problem} (header ${LIMIT_KEY_HEADER}): use a shorter key, such as a tenant's id`);
}
