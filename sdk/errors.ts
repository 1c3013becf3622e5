/**
 * Error classes users throw and catch in handlers. They follow Restate's SDK:
 * a `TerminalError` ends an invocation without retries and its `code` becomes the
 * HTTP status seen at ingress; any other error is retried.
 */

/** HTTP-like status used when a terminal failure carries no explicit code. */
export const INTERNAL_ERROR_CODE = 500;
/** Status of an invocation that was cancelled (Restate answers 409 "Cancelled"). */
export const CANCELLED_CODE = 409;
/** Status of an invocation that was killed (Restate answers 409 "killed"). */
export const KILLED_CODE = 409;
/** Status of a `TimeoutError` raised by `orTimeout`. */
export const TIMEOUT_CODE = 408;
/** Restate's code for a journal mismatch (non-deterministic replay). */
export const JOURNAL_MISMATCH_CODE = 570;

/** Options shared by the error constructors. */
export interface ErrorOptions {
  /** Status code; for terminal errors it becomes the HTTP status. @default 500 */
  errorCode?: number;
  /** The underlying cause, kept for logs. */
  cause?: unknown;
}

/**
 * Base class of every error the SDK defines; carries a numeric `code`.
 * @example
 * catch (e) { if (e instanceof RestateError) console.log(e.code); }
 */
export class RestateError extends Error {
  readonly code: number;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RestateError";
    this.code = options?.errorCode ?? INTERNAL_ERROR_CODE;
  }
}

/**
 * A failure that must not be retried. Thrown from a handler it completes the
 * invocation with this error; thrown from `ctx.run` it is journaled, so the
 * handler can catch it and run compensations (sagas).
 * @example
 * throw new TerminalError("card declined", { errorCode: 402 });
 */
export class TerminalError extends RestateError {
  readonly metadata?: Record<string, string>;
  constructor(message: string, options?: ErrorOptions & { metadata?: Record<string, string> }) {
    super(message, options);
    this.name = "TerminalError";
    if (options?.metadata) this.metadata = options.metadata;
  }
}

/**
 * Raised by `promise.orTimeout(duration)` when the duration passes first.
 * @example
 * await ctx.awakeable<string>().promise.orTimeout({ hours: 1 }).catch((e) => e instanceof TimeoutError);
 */
export class TimeoutError extends TerminalError {
  constructor(message = "Timeout occurred") {
    super(message, { errorCode: TIMEOUT_CODE });
    this.name = "TimeoutError";
  }
}

/**
 * Raised at the next await of an invocation that was cancelled. Catch it to run
 * compensations; rethrow (or let it escape) to finish as cancelled (409).
 * @example
 * try { await ctx.sleep({ days: 1 }); } catch (e) { if (e instanceof CancelledError) await undo(); throw e; }
 */
export class CancelledError extends TerminalError {
  constructor(message = "Cancelled") {
    super(message, { errorCode: CANCELLED_CODE });
    this.name = "CancelledError";
  }
}

/**
 * An error that is retried, optionally after a given delay.
 * @example
 * throw RetryableError.from(err, { retryAfter: { seconds: 30 } });
 */
export class RetryableError extends RestateError {
  readonly retryAfter?: number | { days?: number; hours?: number; minutes?: number; seconds?: number; milliseconds?: number };
  constructor(message: string, options?: ErrorOptions & { retryAfter?: RetryableError["retryAfter"] }) {
    super(message, options);
    this.name = "RetryableError";
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
  /** Wraps any thrown value, keeping its message. */
  static from(cause: unknown, options?: { retryAfter?: RetryableError["retryAfter"]; errorCode?: number }): RetryableError {
    return new RetryableError(messageOf(cause), { ...options, cause });
  }
}

/**
 * Thrown from a `ctx.run` closure: the invocation stops retrying and is paused,
 * with this error as its last failure, until an operator resumes it
 * (`PATCH /restate/admin/invocations/{id}/resume`); the run executes again then.
 * Thrown anywhere else it is an ordinary retryable error.
 * @example
 * await ctx.run("charge", async () => { if (await fraudSuspected()) throw new PauseError("review the card"); return charge(); });
 */
export class PauseError extends RestateError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PauseError";
  }
}

/** Serialized form of an error that crosses a Durable Object boundary or is journaled. */
export interface ErrorRecord {
  name: string;
  message: string;
  code: number;
  metadata?: Record<string, string>;
}

/** Rebuilds an error by name: `instanceof` does not survive a journal or an RPC hop. */
export function errorFromRecord(record: ErrorRecord): TerminalError {
  switch (record.name) {
    case "TimeoutError":
      return new TimeoutError(record.message);
    case "CancelledError":
      return new CancelledError(record.message);
    default:
      return new TerminalError(record.message, {
        errorCode: record.code,
        ...(record.metadata ? { metadata: record.metadata } : {}),
      });
  }
}

/** The message of a thrown value: an Error's, or the value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The one normalizer of thrown values into records: an error's name and message, its
 * numeric `code` (500 when it has none), a TerminalError's metadata; anything else that
 * was thrown becomes an `Error` with its text. `errorFromRecord` rebuilds it.
 */
export function errorToRecord(error: unknown): ErrorRecord {
  if (!(error instanceof Error)) return { name: "Error", message: String(error), code: INTERNAL_ERROR_CODE };
  const code = (error as { code?: unknown }).code;
  const metadata = error instanceof TerminalError ? error.metadata : undefined;
  return { name: error.name, message: error.message, code: typeof code === "number" ? code : INTERNAL_ERROR_CODE, ...(metadata ? { metadata } : {}) };
}
