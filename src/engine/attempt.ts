/**
 * One attempt of one invocation: runs the user's handler against its journal
 * and reports how the attempt ended. Suspension is not an outcome: an attempt
 * waiting on a completion simply stays pending; the host may drop it and
 * replay later. Never reads the clock or storage except through the Host.
 */
import { LIMIT_KEY_HEADER } from "../../sdk/flow-control.js";
import type { Request } from "../../sdk/context.js";
import { INTERNAL_ERROR_CODE, TerminalError, errorToRecord, messageOf, type ErrorRecord } from "../../sdk/errors.js";
import { retryAfterOf } from "./retry.js";
import { ContextCore, type AbortDetails, type AttemptControl } from "./context-core.js";
import { ContextImpl } from "./context-impl.js";
import { JournalMismatchError } from "./journal.js";
import { boundedError, oversizeValue } from "./limits.js";
import type { TargetKinds } from "./addressing.js";
import type { HandlerSpec } from "./registry.js";
import type { Hooks } from "../../sdk/define.js";
import type { Completion, Entry, Host, Target } from "./types.js";

export type AttemptOutcome =
  | { kind: "success"; value: Uint8Array }
  | { kind: "failure"; error: ErrorRecord }
  | { kind: "retry"; error: ErrorRecord; retryAfterMs?: number; runIndex?: number; pause?: boolean };

export interface AttemptParams {
  invocationId: string;
  target: Target;
  input: Uint8Array;
  headers: Record<string, string>;
  idempotencyKey?: string;
  journal: readonly Entry[];
  spec: HandlerSpec;
  kinds: TargetKinds;
  host: Host;
  /** Passed through to `ctx.request().extraArgs` (the Worker env on Cloudflare). */
  extraArgs?: readonly unknown[];
}

export class Attempt implements AttemptControl {
  readonly invocationId: string;
  readonly host: Host;
  readonly #core: ContextCore;
  readonly #params: AttemptParams;
  #closed = false;
  #finish!: (outcome: AttemptOutcome) => void;
  readonly outcome: Promise<AttemptOutcome>;

  constructor(params: AttemptParams) {
    this.invocationId = params.invocationId;
    this.host = params.host;
    this.#params = params;
    this.#core = new ContextCore(this, params.journal);
    this.outcome = new Promise((resolve) => (this.#finish = resolve));
  }

  /** Waiting on a completion rather than executing code. */
  get waiting(): boolean {
    return this.#core.waiting;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Starts the handler; `outcome` settles when the attempt ends. */
  start(): Promise<AttemptOutcome> {
    const { spec } = this.#params;
    let input: unknown;
    try {
      input = spec.input.deserialize(this.#params.input);
    } catch (error) {
      this.#end({ kind: "failure", error: errorToRecord(inputError(error)) });
      return this.outcome;
    }
    const request = this.#request();
    const ctx = new ContextImpl({ core: this.#core, request, kind: spec.kind, kinds: this.#params.kinds });
    let value: unknown;
    const handler = async () => {
      // An attempt ended by a failed run leaves the handler waiting forever: let the
      // interceptors see that failure, as if the handler had thrown it.
      value = await (this.#aborted ? Promise.race([spec.fn(ctx, input), this.#aborted.promise]) : spec.fn(ctx, input));
    };
    // Without hooks (most handlers) the handler starts one microtask later, with no steps between.
    const run = spec.hooks.length === 0 ? handler : () => (this.#startHooks(request), nest(this.#hooks.map((h) => h.interceptor?.handler), handler)());
    Promise.resolve()
      .then(run)
      .then(
        () => this.#succeed(value),
        (error) => this.#fail(error),
      );
    return this.outcome;
  }

  #hooks: Hooks[] = [];
  /** With hooks: rejected when the attempt is aborted (a failed run, a journal mismatch). */
  #aborted?: ReturnType<typeof rejectable>;

  /** Asks each provider for this attempt's hooks (a throwing provider fails the attempt, retryably). */
  #startHooks(request: Request): void {
    this.#hooks = this.#params.spec.hooks.map((provide) => provide({ request }));
    if (this.#hooks.length > 0) this.#aborted = rejectable();
  }

  interceptRun(name: string, execute: () => Promise<void>): Promise<void> {
    if (this.#hooks.length === 0) return execute();
    const interceptors = this.#hooks.map((h) => h.interceptor?.run && ((next: () => Promise<void>) => h.interceptor!.run!(name, next)));
    return nest(interceptors, execute)();
  }

  /** Delivers a completion to a pending operation of this attempt. */
  complete(index: number, completion: Completion): void {
    if (!this.#closed) this.#core.complete(index, completion);
  }

  asTerminalError(error: unknown): TerminalError | undefined {
    if (error instanceof TerminalError) return error;
    const map = this.#params.spec.asTerminalError;
    if (!map) return undefined;
    try {
      const mapped = map(error);
      return mapped instanceof TerminalError ? mapped : undefined;
    } catch {
      return undefined; // a broken mapper leaves the error retryable, as if there were none
    }
  }

  abort(error: Error, details?: AbortDetails): void {
    this.#aborted?.reject(error);
    if (error instanceof JournalMismatchError) {
      const mode = this.#params.spec.onJournalMismatch;
      if (mode === "fail") return this.#end({ kind: "failure", error: { ...errorToRecord(error), name: "TerminalError" } });
      if (mode === "pause") details = { ...details, pause: true };
    }
    this.#end({ kind: "retry", error: errorToRecord(error), ...details });
  }

  /** Stops the attempt from outside (the invocation was killed or the host gave up on it). */
  close(): void {
    this.#closed = true;
    this.#completed?.abort();
  }

  #succeed(value: unknown): void {
    try {
      const bytes = this.#params.spec.output.serialize(value);
      const tooLarge = oversizeValue("the handler's result", bytes);
      this.#end(tooLarge ? { kind: "failure", error: errorToRecord(tooLarge) } : { kind: "success", value: bytes });
    } catch (error) {
      // A result its serde cannot write is the handler's bug: retrying would not change it.
      this.#end({ kind: "failure", error: { ...errorToRecord(error), name: "TerminalError", code: INTERNAL_ERROR_CODE } });
    }
  }

  #fail(error: unknown): void {
    const terminal = this.asTerminalError(error);
    if (terminal) return this.#end({ kind: "failure", error: errorToRecord(terminal) });
    const retryAfterMs = retryAfterOf(error);
    if (retryAfterMs instanceof TerminalError) return this.#end({ kind: "failure", error: errorToRecord(retryAfterMs) });
    this.#end({ kind: "retry", error: errorToRecord(error), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }

  #end(outcome: AttemptOutcome): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#completed?.abort();
    // A failure is stored beside the input and the result: its size is bounded too.
    this.#finish(outcome.kind === "success" ? outcome : { ...outcome, error: boundedError(outcome.error) });
  }

  /** Made when a handler first asks for `attemptCompletedSignal` (most never do). */
  #completed?: AbortController;

  #completedSignal(): AbortSignal {
    if (!this.#completed) {
      this.#completed = new AbortController();
      if (this.#closed) this.#completed.abort();
    }
    return this.#completed.signal;
  }

  #request(): Request {
    const p = this.#params;
    const completedSignal = () => this.#completedSignal();
    let headers: ReadonlyMap<string, string> | undefined;
    return {
      id: p.invocationId,
      target: p.target,
      // Made when a handler first reads them (most never do).
      get headers() {
        return (headers ??= new Map(Object.entries(p.headers)));
      },
      body: p.input,
      extraArgs: p.extraArgs ?? [],
      ...(p.idempotencyKey ? { idempotencyKey: p.idempotencyKey } : {}),
      ...(p.headers[LIMIT_KEY_HEADER] ? { limitKey: p.headers[LIMIT_KEY_HEADER] } : {}),
      get attemptCompletedSignal() {
        return completedSignal();
      },
    };
  }
}

/** Input its serde refuses: a 400 TerminalError, as Restate answers. */
function inputError(error: unknown): TerminalError {
  if (error instanceof TerminalError) return error;
  return new TerminalError(`Failed to deserialize input: ${messageOf(error)}`, { errorCode: 400 });
}

/** `outer(() => inner(() => ... run()))`: the first interceptor is the outermost; absent ones are skipped. */
function nest(interceptors: (((next: () => Promise<void>) => Promise<void>) | undefined)[], run: () => Promise<void>): () => Promise<void> {
  return interceptors.reduceRight<() => Promise<void>>((next, intercept) => (intercept ? () => intercept(next) : next), run);
}

/** A promise to reject later; its rejection is never reported as unhandled. */
function rejectable(): { promise: Promise<never>; reject: (error: Error) => void } {
  let reject!: (error: Error) => void;
  const promise = new Promise<never>((_, r) => (reject = r));
  promise.catch(() => {});
  return { promise, reject };
}
