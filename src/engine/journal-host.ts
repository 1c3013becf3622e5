/**
 * The engine's Host over a lifecycle store: what each context operation's entry
 * and effects mean for storage. `record` writes a journal entry and applies its
 * effects in one transaction, so a state write, a timer or an outgoing call is
 * durable exactly when its entry is; what leaves the owner (calls, sends,
 * awakeable completions, attaches, cancellations) becomes a delivery.
 * The only place effects are interpreted; stores only keep what it writes.
 */
import { CancelledError, TerminalError, errorToRecord } from "../../sdk/errors.js";
import { livesBeside } from "./addressing.js";
import { terminalFailure } from "./completions.js";
import { invocationOwner, parseAwakeableId } from "./ids.js";
import { LIMIT_EXCEEDED_CODE } from "./limits.js";
import { atomicallyIf, type LifecycleStore } from "./lifecycle-store.js";
import type { Delivery, InvokeRequest, Subscriber } from "./messages.js";
import type { Completion, Effect, Entry, Host, LogLevel, RunFailures, StepTracer } from "./types.js";

/** What recording needs from the lifecycle it serves. */
export interface JournalHostContext {
  now(): number;
  /** Invocations whose next awaited operation must fail with CancelledError (taken by it). */
  readonly cancelRequested: Set<string>;
  /** Which workflow id's state and promises an invocation sees ("" outside workflows). */
  scopeOf(invocationId: string): string;
  /**
   * Whether an invocation reads state at all: a stateless service's does not, though it may live
   * in its caller's object (addressing.ts's callAddress), whose state is not its. @default always
   */
  readsState?(invocationId: string): boolean;
  /** After a record's transaction: what it changed that the lifecycle must react to. */
  afterCommit(touched: Touched): void;
  /**
   * Admits a call whose callee lives in the caller's own owner (addressing.ts's callAddress), in
   * the record's transaction: no outbox row, no delivery; its attempt starts once that commits.
   * Absent: every call is a delivery.
   */
  admitHere?(request: InvokeRequest & { replyTo: Subscriber }): void;
  /** User I/O is in flight (a ctx.run closure returned a promise). */
  sideEffectStarted(invocationId: string): void;
  randomBytes(length: number): Uint8Array;
  log(level: LogLevel, invocationId: string, args: unknown[]): void;
  recorded?(invocationId: string, entry: Entry): void;
  /** Present only when tracing is on. */
  tracer?: StepTracer;
}

/** What one `record` changed beyond its own entry. */
export interface Touched {
  /** The earliest timer it set. */
  timerAt?: number;
  /** It enqueued deliveries. */
  outbox: boolean;
  /** Entries of waiting invocations a durable promise completed. */
  promises: { inv: string; idx: number; completion: Completion }[];
}

/**
 * Whether `call`, made by `inv`, is a request-response call to a stateless service whose callee
 * lives in `inv`'s own owner (its id says so: addressing.ts's callAddress put it there).
 */
function livesHere(inv: string, call: Extract<Effect, { type: "call" }>["call"]): boolean {
  return call.replyTo !== undefined && livesBeside(inv, call.invocationId, call.target);
}

export class JournalHost implements Host {
  readonly tracer?: StepTracer;

  constructor(
    private readonly store: LifecycleStore,
    private readonly context: JournalHostContext,
  ) {
    if (context.tracer) this.tracer = context.tracer;
  }

  now(): number {
    return this.context.now();
  }

  record(invocationId: string, entry: Entry, effects: readonly Effect[]): Completion | undefined {
    const touched: Touched = { outbox: false, promises: [] };
    let immediate: Completion | undefined;
    this.#storable(entry, () =>
      atomicallyIf(this.store, effects.length > 1 || effects.some((e) => e.type === "call" && this.#admitsHere(invocationId, e.call)), () => {
        for (const effect of effects) immediate = this.#apply(invocationId, entry, effect, touched) ?? immediate;
        // A cancel is met by the next operation the handler awaits: one that waits, or a run
        // (its result, journaled as the cancellation, so a replay throws the same).
        if ((!entry.done || entry.type === "run") && this.context.cancelRequested.delete(invocationId)) {
          this.store.setCancelRequested(invocationId, false);
          immediate = { failure: errorToRecord(new CancelledError()) };
          entry.done = true;
          entry.completion = immediate;
        }
        if (immediate && !entry.done) {
          entry.done = true;
          entry.completion = immediate;
        }
        this.store.appendEntry(invocationId, entry, this.now());
      }),
    );
    this.context.recorded?.(invocationId, entry);
    this.context.afterCommit(touched);
    return immediate;
  }

  /**
   * Runs a journal write; the store refusing the entry's size (a value the limits did not
   * see, such as a huge combinator or error) is a TerminalError, not a failure retried forever.
   */
  #storable(entry: Entry, write: () => void): void {
    try {
      write();
    } catch (error) {
      if (!this.store.tooLarge(error)) throw error;
      const what = `journal entry ${entry.index} (${entry.type}${entry.name ? ` "${entry.name}"` : ""})`;
      throw new TerminalError(`${what} is too large to store: ${String(error)}`, { errorCode: LIMIT_EXCEEDED_CODE });
    }
  }

  /** Applies one effect; a completion when the entry's result is known at once. */
  #apply(inv: string, entry: Entry, effect: Effect, touched: Touched): Completion | undefined {
    switch (effect.type) {
      case "setState":
        return void this.store.setState(this.context.scopeOf(inv), effect.key, effect.value);
      case "clearState":
        return void this.store.clearState(this.context.scopeOf(inv), effect.key);
      case "clearAllState":
        return void this.store.clearAllState(this.context.scopeOf(inv));
      case "timer":
        touched.timerAt = Math.min(touched.timerAt ?? Infinity, effect.at);
        return void this.store.addTimer(inv, effect.index, effect.at);
      case "call":
        return this.#call(inv, effect.call, touched);
      case "completeAwakeable": {
        const address = parseAwakeableId(effect.awakeableId);
        if ("error" in address) return terminalFailure(address.error, 400);
        const { owner, invocationId, index, secret } = address;
        const trace = effect.traceparent ? { traceparent: effect.traceparent } : {};
        return this.#enqueue(touched, owner, { kind: "awakeable", owner, invocationId, index, secret, completion: effect.completion, ...trace });
      }
      case "awaitPromise": {
        const scope = this.context.scopeOf(inv);
        const existing = this.store.promise(scope, effect.name);
        if (existing) return existing;
        return void this.store.addPromiseWaiter(scope, effect.name, inv, effect.index);
      }
      case "completePromise":
        return this.#completePromise(inv, entry, effect.name, effect.completion, touched);
      case "attach": {
        const owner = invocationOwner(effect.invocationId);
        if (!owner) return terminalFailure(`Unknown invocation id '${effect.invocationId}'`, 404);
        const subscriber = { owner: invocationOwner(inv)!, invocationId: inv, index: effect.index };
        return this.#enqueue(touched, owner, { kind: "subscribe", owner, invocationId: effect.invocationId, subscriber });
      }
      case "cancel": {
        const owner = invocationOwner(effect.invocationId);
        return owner ? this.#enqueue(touched, owner, { kind: "cancel", owner, invocationId: effect.invocationId }) : undefined;
      }
    }
  }

  #call(inv: string, call: Extract<Effect, { type: "call" }>["call"], touched: Touched): Completion | undefined {
    const owner = invocationOwner(call.invocationId);
    if (!owner) return terminalFailure(`Cannot address ${call.target.service}`, 404);
    const replyTo = call.replyTo ? { owner: invocationOwner(inv)!, ...call.replyTo } : undefined;
    const request = {
      owner,
      invocationId: call.invocationId,
      target: call.target,
      input: call.input,
      headers: call.headers,
      invokedBy: inv,
      ...(call.idempotencyKey ? { idempotencyKey: call.idempotencyKey } : {}),
      ...(call.notBefore ? { notBefore: call.notBefore } : {}),
      ...(replyTo ? { replyTo } : {}),
    };
    if (replyTo && this.#admitsHere(inv, call)) return void this.context.admitHere!({ ...request, replyTo });
    return this.#enqueue(touched, owner, { kind: "invoke", request });
  }

  #admitsHere(inv: string, call: Extract<Effect, { type: "call" }>["call"]): boolean {
    return this.context.admitHere !== undefined && livesHere(inv, call);
  }

  #enqueue(touched: Touched, owner: string, delivery: Delivery): undefined {
    touched.outbox = true;
    this.store.enqueue(owner, delivery, this.now());
    return undefined;
  }

  /** A promise completes once; the first completion wakes its waiters, a later one fails (409). */
  #completePromise(inv: string, entry: Entry, name: string, completion: Completion, touched: Touched): Completion | undefined {
    const scope = this.context.scopeOf(inv);
    if (this.store.promise(scope, name)) {
      // The losing completePromise reports its failure through its own entry.
      entry.completion = terminalFailure(`Promise '${name}' was already completed`, 409);
      return entry.completion;
    }
    this.store.setPromise(scope, name, completion);
    for (const waiter of this.store.takePromiseWaiters(scope, name)) {
      if (this.store.completeEntry(waiter.inv, waiter.idx, completion)) touched.promises.push({ ...waiter, completion });
    }
    return undefined;
  }

  sideEffectStarted(invocationId: string): void {
    this.context.sideEffectStarted(invocationId);
  }

  randomBytes(length: number): Uint8Array {
    return this.context.randomBytes(length);
  }

  readState(invocationId: string, key: string): Uint8Array | null {
    if (this.context.readsState?.(invocationId) === false) return null;
    return this.store.readState(this.context.scopeOf(invocationId), key);
  }

  stateKeys(invocationId: string): string[] {
    if (this.context.readsState?.(invocationId) === false) return [];
    return this.store.stateKeys(this.context.scopeOf(invocationId));
  }

  peekPromise(invocationId: string, name: string): Completion | undefined {
    return this.store.promise(this.context.scopeOf(invocationId), name);
  }

  runFailures(invocationId: string, index: number): RunFailures {
    return this.store.runFailures(invocationId, index);
  }

  log(level: LogLevel, invocationId: string, args: unknown[]): void {
    this.context.log(level, invocationId, args);
  }
}
