/**
 * Reading and checking what an HTTP request carries: the body (bounded), the
 * input (JSON handlers), the headers passed to the handler and `?delay=`.
 * Every problem is an `IngressError` with the status to answer.
 */
import { parseDurationText } from "../../sdk/duration.js";
import { serde } from "../../sdk/serde.js";
import type { HandlerSpec } from "../engine/registry.js";
import { IngressError } from "./responses.js";

/** Request headers never handed to handlers (credentials stay at the edge). */
/** Credentials never reach handlers (or the journal). */
const DROPPED_HEADERS = new Set(["authorization", "cookie"]);
/**
 * Transport and platform headers describe the hop, not the request; they are
 * stored with every invocation, so keeping them would cost bytes on each commit.
 */
const HOP_HEADERS = new Set(["host", "connection", "content-length", "accept-encoding", "keep-alive", "transfer-encoding", "cdn-loop", "true-client-ip", "x-real-ip"]);
const HOP_PREFIXES = ["cf-", "x-forwarded-", "mf-", "x-restateclient-"];

function isForwarded(name: string): boolean {
  return !DROPPED_HEADERS.has(name) && !HOP_HEADERS.has(name) && !HOP_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * The whole body, refusing with 413 as soon as it is known to be larger than
 * `maxBytes`: from `content-length` before reading, else while streaming.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
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
 * Rejects a body that the handler's JSON serde would fail on, so a bad request
 * is a 400 at the edge instead of a failed invocation. Other serdes (binary,
 * zod, custom) are checked by the handler's own deserialize.
 */
export function checkJsonInput(spec: HandlerSpec, body: Uint8Array): void {
  if (spec.input !== serde.json || body.byteLength === 0) return;
  try {
    JSON.parse(new TextDecoder().decode(body));
  } catch (error) {
    throw new IngressError(400, `Failed to deserialize input: ${(error as Error).message}`);
  }
}

/** The request's own headers (lower-case names): no credentials, no transport or platform headers. */
export function forwardedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (isForwarded(lower)) out[lower] = value;
  });
  return out;
}

/**
 * The path and query of a request URL (absolute and already normalized by the
 * runtime) without a full URL parse: most requests carry no query at all.
 */
export function splitUrl(url: string): { pathname: string; query?: URLSearchParams } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return { pathname: "/" };
  const mark = url.indexOf("?", start);
  if (mark < 0) return { pathname: url.slice(start) };
  return { pathname: url.slice(start, mark), query: new URLSearchParams(url.slice(mark + 1)) };
}

/**
 * `?delay=` of a send, in ms. Restate's clients send `1000ms`; `10s`, `5m`,
 * `1h30m` and ISO 8601 (`PT10S`, `P1DT2H`) are accepted too. Undefined when
 * absent; 400 when malformed, or when given on a call (only a send can wait).
 */
export function parseDelay(query: URLSearchParams | undefined, send: boolean): number | undefined {
  const text = query?.get("delay") ?? null;
  if (text === null) return undefined;
  if (!send) throw new IngressError(400, `'delay' is only allowed on a one-way send: add /send to the path`);
  const ms = parseDurationText(text) ?? parseIsoDuration(text);
  if (ms === undefined) {
    throw new IngressError(400, `bad delay '${text}': use a duration such as 500ms, 10s, 5m, 1h30m or PT10S`);
  }
  return ms;
}

const ISO_DURATION = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** `P[nD][T[nH][nM][nS]]`; undefined for anything else (including bare `P`/`PT`). */
function parseIsoDuration(text: string): number | undefined {
  const match = ISO_DURATION.exec(text.trim());
  if (!match || match.slice(1).every((part) => part === undefined)) return undefined;
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number];
  return Math.round(days * 86_400_000 + hours * 3_600_000 + minutes * 60_000 + seconds * 1_000);
}

/** The `idempotency-key` header; an empty value counts as absent. */
export function idempotencyKeyOf(headers: Headers): string | undefined {
  return headers.get("idempotency-key") || undefined;
}
