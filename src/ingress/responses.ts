/**
 * Every HTTP response the ingress produces. Errors all go through
 * `errorResponse`, so they share one shape, Restate's:
 * `{"code", "message", "source"}` with header `x-restate-error-source`
 * (clients never retry `invocation` errors). Never leaks stack traces.
 */
import { messageOf } from "../../sdk/errors.js";
import type { InvocationResult, OutputLookup, SendReceipt } from "../durable/protocol.js";
import { isoTime } from "../engine/iso-time.js";

/** Who produced an error: the ingress itself, or the invocation (handler or runtime). */
export type ErrorSource = "ingress" | "invocation";

export const INVOCATION_ID_HEADER = "x-restate-id";
export const IDEMPOTENCY_EXPIRES_HEADER = "idempotency-expires";
export const ERROR_SOURCE_HEADER = "x-restate-error-source";
/** Restate's status for "the invocation exists but has not completed yet". */
export const NOT_READY_CODE = 470;

const JSON_TYPE = "application/json";
/** Longest message of an unexpected error that is echoed to the client. */
const MAX_INTERNAL_MESSAGE = 300;

/** An error the ingress answers with: `code` becomes the HTTP status when it is one (400-599). */
export class IngressError extends Error {
  readonly code: number;
  readonly source: ErrorSource;
  /** Extra response headers (`allow`, `x-restate-id`...). */
  readonly headers: Record<string, string>;
  /** A `TerminalError`'s metadata, rendered in the body as Restate does. */
  readonly metadata?: Record<string, string>;

  constructor(code: number, message: string, options?: { source?: ErrorSource; headers?: Record<string, string>; metadata?: Record<string, string> }) {
    super(message);
    this.name = "IngressError";
    this.code = code;
    this.source = options?.source ?? "ingress";
    this.headers = options?.headers ?? {};
    if (options?.metadata) this.metadata = options.metadata;
  }
}

/**
 * The one place an error becomes a Response. An `IngressError` keeps its code,
 * message and source; anything else is an unexpected failure: 503 when the
 * Durable Object says it is overloaded (worth retrying), else 500.
 */
export function errorResponse(error: unknown): Response {
  const e = error instanceof IngressError ? error : unexpected(error);
  const headers = { [ERROR_SOURCE_HEADER]: e.source, ...e.headers };
  return jsonResponse({ code: e.code, message: e.message, ...metadataField(e.metadata), source: e.source }, httpStatusOf(e.code), headers);
}

/**
 * Restate 1.7's `metadata` field: between `message` and `source`, keys sorted,
 * left out when there is none (an empty record included).
 */
function metadataField(metadata: Record<string, string> | undefined): { metadata?: Record<string, string> } {
  const entries = Object.entries(metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? {} : { metadata: Object.fromEntries(entries) };
}

/**
 * The HTTP status for an error code. Handlers choose codes freely
 * (`TerminalError(..., { errorCode })`); only 400-599 are used as the status,
 * anything else answers 500 (the body keeps the original code).
 */
export function httpStatusOf(code: number): number {
  return Number.isInteger(code) && code >= 400 && code <= 599 ? code : 500;
}

/** A finished invocation: 200 with its output bytes, or its failure as an `invocation` error. */
export function resultResponse(result: InvocationResult): Response {
  if (!result.ok) {
    const { code, message, metadata } = result.error;
    // A refusal to wait is the ingress's answer (clients retry it): Restate's 429, and a Retry-After.
    if (result.retryAfterSeconds !== undefined) return errorResponse(new IngressError(code, message, { headers: idHeaders({ "retry-after": String(result.retryAfterSeconds) }, result) }));
    return errorResponse(new IngressError(code, message, { source: "invocation", headers: idHeaders({}, result), ...(metadata ? { metadata } : {}) }));
  }
  // One headers object, built in place (issue 14: the hot path's CPU per request).
  return new Response(result.value, { status: 200, headers: idHeaders({ "content-type": result.contentType ?? JSON_TYPE }, result) });
}

/** Adds to `headers` the invocation's id and, for an idempotent one, when its key expires. */
function idHeaders(headers: Record<string, string>, result: InvocationResult): Record<string, string> {
  headers[INVOCATION_ID_HEADER] = result.invocationId;
  if (result.idempotencyExpiresAt !== undefined) {
    const expires = isoTime(result.idempotencyExpiresAt);
    if (expires !== undefined) headers[IDEMPOTENCY_EXPIRES_HEADER] = expires;
  }
  return headers;
}

/** A one-way send: 202 `{"invocationId","status"[,"executionTime"]}`. */
export function receiptResponse(receipt: SendReceipt): Response {
  if (receipt.status === "Refused") return resultResponse({ invocationId: receipt.invocationId, ok: false, error: receipt.error });
  const body = {
    invocationId: receipt.invocationId,
    status: receipt.status,
    ...(receipt.executionTime !== undefined ? { executionTime: receipt.executionTime } : {}),
  };
  return jsonResponse(body, 202, { [INVOCATION_ID_HEADER]: receipt.invocationId });
}

/** Attach/output answer: the result, 470 while still running, 404 when unknown. */
export function lookupResponse(lookup: OutputLookup, invocationId: string, kind: "attach" | "output"): Response {
  const headers = { [INVOCATION_ID_HEADER]: invocationId };
  switch (lookup.state) {
    case "done":
      return resultResponse(lookup.result);
    case "pending":
      return errorResponse(new IngressError(NOT_READY_CODE, "the invocation exists but has not completed yet", { headers }));
    case "unknown":
      return errorResponse(invocationNotFound(kind, headers));
  }
}

/**
 * Restate 1.7's answers for an invocation id, idempotency key or workflow id it
 * does not know: `output` says so as the ingress, `attach` as the invocation.
 */
export function invocationNotFound(kind: "attach" | "output", headers?: Record<string, string>): IngressError {
  const options = headers ? { headers } : {};
  if (kind === "output") return new IngressError(404, "invocation not found", options);
  return new IngressError(404, "not found", { source: "invocation", ...options });
}

export function jsonResponse(body: unknown, status: number, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": JSON_TYPE, ...headers } });
}

function unexpected(error: unknown): IngressError {
  if (isOverloaded(error)) return new IngressError(503, "the target is overloaded, retry later");
  // The message only: names and stacks of internal errors stay in the logs.
  const text = messageOf(error);
  const firstLine = (text.split("\n")[0] ?? "").slice(0, MAX_INTERNAL_MESSAGE);
  return new IngressError(500, firstLine ? `internal error: ${firstLine}` : "internal error");
}

/** Cloudflare marks Durable Object overload errors with `overloaded: true`. */
function isOverloaded(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { overloaded?: unknown }).overloaded === true;
}
