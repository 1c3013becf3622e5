/**
 * The engine's Host, backed by one object's Store. `record` writes a journal
 * entry and applies its effects in one SQLite transaction: a state write, a
 * timer or an outgoing call is durable exactly when its entry is.
 */
import { CancelledError, TerminalError, errorToRecord } from "../../sdk/errors.js";
import { LIMIT_EXCEEDED_CODE } from "../engine/limits.js";
import { invocationOwner, parseAwakeableId } from "../engine/ids.js";
import type { Completion, Effect, Entry, Host, LogLevel, RunFailures } from "../engine/types.js";
import type { Store } from "./store.js";

/** What effects need from the object beyond storage. */
export interface EffectSink {
  now(): number;
  /** Invocations of this object whose next awaited operation must see a cancellation. */
  readonly cancelRequested: Set<string>;
  /** User I/O is in flight: a crash must now be recoverable (arm the recovery alarm). */
  sideEffectStarted(invocationId: string): void;
  /** Which workflow id's state and promises an invocation sees ("" outside workflows): see Store. */
  scopeOf(invocationId: string): string;
  /** Called after a transaction: the earliest new timer, whether the outbox grew, promises completed. */
  afterCommit(touched: Touched): void;
}

/** What one `record` transaction changed that the object must react to. */
export interface Touched {
  timerAt?: number;
  outbox: boolean;
  promises: { inv: string; idx: number; completion: Completion }[];
}

const CANCELLED: Completion = { failure: errorToRecord(new CancelledError()) };

export class StoreHost implements Host {
  constructor(
    private readonly store: Store,
    private readonly sink: EffectSink,
  ) {}

  now(): number {
    return this.sink.now();
  }

  record(invocationId: string, entry: Entry, effects: readonly Effect[]): Completion | undefined {
    const touched: Touched = { outbox: false, promises: [] };
    let immediate: Completion | undefined;
    // Writes in one synchronous turn commit together anyway; a savepoint only adds rollback if a
    // statement throws half-way, which matters when several effects must stand or fall together.
    const atomically = effects.length > 1 ? <T>(fn: () => T) => this.store.transaction(fn) : <T>(fn: () => T) => fn();
    storable(entry, () => atomically(() => {
      for (const effect of effects) {
        const result = this.#apply(invocationId, entry, effect, touched);
        if (result) immediate = result;
      }
      if (!entry.done && this.sink.cancelRequested.delete(invocationId)) {
        this.store.setCancelRequested(invocationId, false);
        immediate = CANCELLED;
      }
      if (immediate && !entry.done) {
        entry.done = true;
        entry.completion = immediate;
      }
      this.store.appendEntry(invocationId, entry, this.now());
    }));
    this.sink.afterCommit(touched);
    // A completePromise that lost the race reports its failure through its own entry.
    return immediate;
  }

  #apply(inv: string, entry: Entry, effect: Effect, touched: Touched): Completion | undefined {
    const now = this.now();
    switch (effect.type) {
      case "setState":
        return void this.store.setState(this.sink.scopeOf(inv), effect.key, effect.value);
      case "clearState":
        return void this.store.clearState(this.sink.scopeOf(inv), effect.key);
      case "clearAllState":
        return void this.store.clearAllState(this.sink.scopeOf(inv));
      case "timer":
        touched.timerAt = Math.min(touched.timerAt ?? Infinity, effect.at);
        return void this.store.addTimer(inv, effect.index, effect.at);
      case "call": {
        const { call } = effect;
        const owner = invocationOwner(call.invocationId);
        if (!owner) return { failure: { name: "TerminalError", message: `Cannot address ${call.target.service}`, code: 404 } };
        touched.outbox = true;
        const replyTo = call.replyTo ? { owner: invocationOwner(inv)!, ...call.replyTo } : undefined;
        const request = { owner, invocationId: call.invocationId, target: call.target, input: call.input, headers: call.headers, invokedBy: inv, ...(call.idempotencyKey ? { idempotencyKey: call.idempotencyKey } : {}), ...(call.notBefore ? { notBefore: call.notBefore } : {}), ...(replyTo ? { replyTo } : {}) };
        return void this.store.enqueue(owner, { kind: "invoke", request }, now);
      }
      case "completeAwakeable": {
        const address = parseAwakeableId(effect.awakeableId);
        if ("error" in address) return { failure: { name: "TerminalError", message: address.error, code: 400 } };
        touched.outbox = true;
        const { owner, invocationId, index, secret } = address;
        return void this.store.enqueue(owner, { kind: "awakeable", owner, invocationId, index, secret, completion: effect.completion }, now);
      }
      case "awaitPromise": {
        const scope = this.sink.scopeOf(inv);
        const existing = this.store.promise(scope, effect.name);
        if (existing) return existing;
        return void this.store.addPromiseWaiter(scope, effect.name, inv, effect.index);
      }
      case "completePromise": {
        const scope = this.sink.scopeOf(inv);
        if (this.store.promise(scope, effect.name)) {
          const failure = { name: "TerminalError", message: `Promise '${effect.name}' was already completed`, code: 409 };
          entry.completion = { failure };
          return entry.completion;
        }
        this.store.setPromise(scope, effect.name, effect.completion);
        for (const waiter of this.store.takePromiseWaiters(scope, effect.name)) {
          if (this.store.completeEntry(waiter.inv, waiter.idx, effect.completion)) touched.promises.push({ ...waiter, completion: effect.completion });
        }
        return undefined;
      }
      case "attach": {
        const owner = invocationOwner(effect.invocationId);
        if (!owner) return { failure: { name: "TerminalError", message: `Unknown invocation id '${effect.invocationId}'`, code: 404 } };
        touched.outbox = true;
        const subscriber = { owner: invocationOwner(inv)!, invocationId: inv, index: effect.index };
        return void this.store.enqueue(owner, { kind: "subscribe", owner, invocationId: effect.invocationId, subscriber }, now);
      }
      case "cancel": {
        const owner = invocationOwner(effect.invocationId);
        if (!owner) return undefined;
        touched.outbox = true;
        return void this.store.enqueue(owner, { kind: "cancel", owner, invocationId: effect.invocationId }, now);
      }
    }
  }

  sideEffectStarted(invocationId: string): void {
    this.sink.sideEffectStarted(invocationId);
  }

  randomBytes(length: number): Uint8Array {
    return crypto.getRandomValues(new Uint8Array(length));
  }

  readState(invocationId: string, key: string): Uint8Array | null {
    return this.store.readState(this.sink.scopeOf(invocationId), key);
  }

  stateKeys(invocationId: string): string[] {
    return this.store.stateKeys(this.sink.scopeOf(invocationId));
  }

  peekPromise(invocationId: string, name: string): Completion | undefined {
    return this.store.promise(this.sink.scopeOf(invocationId), name);
  }

  runFailures(invocationId: string, index: number): RunFailures {
    return this.store.runFailures(invocationId, index);
  }

  log(level: LogLevel, invocationId: string, args: unknown[]): void {
    const message = args.map((a) => (typeof a === "string" ? a : safeJson(a))).join(" ");
    console[level === "debug" ? "log" : level](JSON.stringify({ level, invocationId, message }));
  }
}

/**
 * Runs a journal write; storage refusing the entry's size (a value the limits did not see,
 * such as a huge combinator or error) is a TerminalError, not a failure retried forever.
 */
function storable(entry: Entry, write: () => void): void {
  try {
    write();
  } catch (error) {
    if (!String(error).includes("SQLITE_TOOBIG")) throw error;
    throw new TerminalError(`journal entry ${entry.index} (${entry.type}${entry.name ? ` "${entry.name}"` : ""}) is too large to store: ${String(error)}`, { errorCode: LIMIT_EXCEEDED_CODE });
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
