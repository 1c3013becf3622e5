/**
 * The Context handlers receive. Every operation goes through the journal: on a
 * first run it records an entry (with its effects) through the host; on replay
 * it returns what was recorded. Never touches the clock, randomness or storage
 * directly: those come through the Host port.
 */
import type { Duration } from "../../sdk/duration.js";
import { delayToMs } from "../../sdk/duration.js";
import { TerminalError, TimeoutError, errorFromRecord } from "../../sdk/errors.js";
import { HOST, failureTo, type CombinatorKind, type RestatePromise } from "../../sdk/promise.js";
import { serde as serdes, type Serde } from "../../sdk/serde.js";
import { isDecided, type Settlement } from "./combinators.js";
import { Journal } from "./journal.js";
import { createRand } from "./rand.js";
import { RunGuard } from "./run-guard.js";
import type { Rand } from "../../sdk/context.js";
import type { Completion, Effect, Entry, EntryFacts, EntryOf, EntryType, Host } from "./types.js";

/**
 * A promise that never settles: what operations return once the attempt is over.
 * A fresh one per use, never shared: whatever awaits it (the handler's frame, its
 * buffers) hangs off this promise alone, so a finished attempt is garbage once the
 * runtime drops it. (One module-level promise kept every closed attempt alive.)
 */
export function never(): Promise<never> {
  return new Promise<never>(() => {});
}

interface Pending {
  settle(completion: Completion): void;
}

/** What the context needs from the attempt that owns it. */
export interface AttemptControl {
  readonly invocationId: string;
  readonly host: Host;
  readonly closed: boolean;
  /** Ends the attempt with a retryable failure (journal mismatch, failed run), or pauses the invocation. */
  abort(error: Error, details?: AbortDetails): void;
  /** The handler's `asTerminalError` mapping of a thrown error: a TerminalError, or undefined (retryable). */
  asTerminalError(error: unknown): TerminalError | undefined;
  /** Runs a `ctx.run` closure's execution through the hooks' run interceptors. */
  interceptRun(name: string, execute: () => Promise<void>): Promise<void>;
}

export interface AbortDetails {
  retryAfterMs?: number;
  /** The journal index of the `ctx.run` that failed. */
  runIndex?: number;
  /** A `PauseError` from a `ctx.run`: park the invocation until an operator resumes it. */
  pause?: boolean;
}

export class ContextCore {
  readonly journal: Journal;
  /** Refuses context calls from inside a ctx.run closure. */
  readonly runGuard = new RunGuard();
  readonly #pending = new Map<number, Pending>();
  #rand: Rand | undefined;

  constructor(
    readonly control: AttemptControl,
    recorded: readonly Entry[],
  ) {
    this.journal = new Journal(recorded);
  }

  /** True while the handler waits on at least one completion (it could be suspended). */
  get waiting(): boolean {
    return this.#pending.size > 0;
  }

  /** Seeded from the invocation id; built on first use (hashing costs on every invocation otherwise). */
  get rand(): Rand {
    // Drawing inside a run closure would shift the sequence a replay sees (the closure is skipped).
    return (this.#rand ??= createRand(this.control.invocationId, () => this.runGuard.check("ctx.rand")));
  }

  get id(): string {
    return this.control.invocationId;
  }

  /** Takes the next journal index; a mismatch aborts the attempt. */
  advance<K extends EntryType>(type: K, name: string): { index: number; recorded?: EntryOf<K> } | undefined {
    this.runGuard.checkEntry(type, name);
    if (this.control.closed) return undefined;
    try {
      const step = this.journal.advance(type, name);
      if (!step.recorded) this.control.host.tracer?.stepStarted(this.id, step.index, type, name);
      return step;
    } catch (e) {
      this.control.abort(e as Error);
      return undefined;
    }
  }

  /** Records a finished entry (and its effects); false once the attempt is over. */
  recordDone<K extends EntryType>(index: number, type: K, name: string, completion: Completion, effects: Effect[] = [], facts?: EntryFacts[K]): Completion | undefined | false {
    if (this.control.closed) return false;
    const entry = entryOf(index, type, name, facts, completion);
    this.journal.remember(entry);
    return this.control.host.record(this.id, entry, effects);
  }

  /**
   * An operation whose result arrives later (sleep, call, awakeable...).
   * `create` returns the entry's facts and effects on a first run.
   */
  awaitable<T, K extends EntryType>(
    type: K,
    name: string,
    decode: (bytes: Uint8Array | null) => T,
    create: (index: number) => { facts?: EntryFacts[K]; effects: Effect[] },
  ): { index: number; promise: RestatePromise<T>; recorded?: EntryOf<K> } | undefined {
    const step = this.advance(type, name);
    if (!step) return undefined;
    const { index, recorded } = step;
    const promise = new Promise<T>((resolve, reject) => {
      const settle = (completion: Completion): void => {
        if ("failure" in completion) reject(errorFromRecord(completion.failure));
        else {
          try {
            resolve(decode(completion.value));
          } catch (e) {
            reject(e);
          }
        }
      };
      if (recorded?.done && recorded.completion) return settle(recorded.completion);
      this.#pending.set(index, { settle });
      if (!recorded) {
        const { facts, effects } = create(index);
        const entry = entryOf(index, type, name, facts);
        this.journal.remember(entry);
        const immediate = this.control.host.record(this.id, entry, effects);
        if (immediate) this.complete(index, immediate);
      }
    });
    return { index, promise: this.wrap(promise), ...(recorded ? { recorded } : {}) };
  }

  /** A completion arrived (timer fired, call returned, awakeable resolved...). */
  complete(index: number, completion: Completion): void {
    this.journal.complete(index, completion);
    const pending = this.#pending.get(index);
    if (!pending) return;
    this.#pending.delete(index);
    pending.settle(completion);
  }

  /** Adds `orTimeout`, `map` and the combinator host to a native promise. */
  wrap<T>(promise: Promise<T>): RestatePromise<T> {
    const p = promise as RestatePromise<T> & { [HOST]?: unknown };
    p[HOST] = this;
    p.orTimeout = (duration: Duration | number) => this.withTimeout(p, duration);
    p.map = <U>(mapper: (value?: T, failure?: TerminalError) => U) => this.wrap(p.then((value) => mapper(value, undefined), failureTo(mapper)));
    // Rejections of journaled promises nobody awaits are not unhandled errors of the runtime.
    promise.catch(() => {});
    return p;
  }

  sleep(duration: Duration | number, name = ""): RestatePromise<void> {
    const ms = delayToMs(duration, "ctx.sleep");
    const op = this.awaitable("sleep", name, () => undefined, (index) => {
      const at = this.control.host.now() + ms;
      return { facts: { wakeAt: at }, effects: [{ type: "timer", index, at }] };
    });
    return op ? op.promise : this.wrap(never());
  }

  withTimeout<T>(promise: RestatePromise<T>, duration: Duration | number): RestatePromise<T> {
    const timer = this.sleep(delayToMs(duration, "orTimeout"));
    return this.wrap(
      this.#combineIndexed("race", [promise, timer]).then(({ order, values }) => {
        const first = order[0]!;
        if (first.index === 1) throw new TimeoutError();
        if (!first.ok) throw values[0];
        return values[0] as T;
      }),
    );
  }

  combine(kind: CombinatorKind, promises: readonly RestatePromise<unknown>[]): RestatePromise<unknown> {
    return this.wrap(
      this.#combineIndexed(kind, promises).then(({ order, values }) => {
        const last = order[order.length - 1];
        switch (kind) {
          case "race":
            if (!last!.ok) throw values[last!.index];
            return values[last!.index];
          case "all":
            if (last && !last.ok) throw values[last.index];
            return values;
          case "any":
            if (last?.ok) return values[last.index];
            throw new TerminalError("All promises passed to any() were rejected");
          case "allSettled":
            return values.map((v, i) =>
              order.find((s) => s.index === i)?.ok ? { status: "fulfilled", value: v } : { status: "rejected", reason: v },
            );
        }
      }),
    );
  }

  /** Settles when the combinator is decided; the deciding order is journaled. */
  #combineIndexed(kind: CombinatorKind, promises: readonly Promise<unknown>[]): Promise<{ order: Settlement[]; values: unknown[] }> {
    const step = this.advance("combinator", kind);
    if (!step) return never();
    const values: unknown[] = new Array(promises.length);
    const outcomes = promises.map((p, index) =>
      p.then(
        (value) => ((values[index] = value), { index, ok: true }),
        (error) => ((values[index] = error), { index, ok: false }),
      ),
    );
    if (step.recorded) {
      const order = step.recorded.order;
      return Promise.all(order.map((s) => outcomes[s.index])).then(() => ({ order, values }));
    }
    return new Promise((resolve) => {
      const order: Settlement[] = [];
      let decided = false;
      const onSettled = (s: Settlement): void => {
        if (decided) return;
        order.push(s);
        if (!isDecided(kind, promises.length, order)) return;
        decided = true;
        if (this.recordDone(step.index, "combinator", kind, { value: null }, [], { order }) === false) return;
        resolve({ order, values });
      };
      for (const outcome of outcomes) void outcome.then(onSettled);
    });
  }

  /** Journals a value produced outside the journal (date, state read) and returns it. */
  captured<T>(type: EntryType, name: string, produce: () => Uint8Array | null, decode: (b: Uint8Array | null) => T): Promise<T> {
    const step = this.advance(type, name);
    if (!step) return never();
    // A decode that throws (a rejected promise's peek, a bad serde) must reject, not throw at the call site.
    if (step.recorded?.completion && "value" in step.recorded.completion) {
      const recorded = step.recorded.completion.value;
      return new Promise((resolve) => resolve(decode(recorded)));
    }
    const bytes = produce();
    if (this.recordDone(step.index, type, name, { value: bytes }) === false) return never();
    return new Promise((resolve) => resolve(decode(bytes)));
  }

  /** Journals a fire-and-forget operation (state write, send...) unless replaying it. */
  effect<K extends EntryType>(type: K, name: string, effects: () => Effect[], facts?: () => EntryFacts[K]): EntryOf<K> | undefined {
    const step = this.advance(type, name);
    if (!step) return undefined;
    if (step.recorded) return step.recorded;
    const entryFacts = facts?.();
    const completion: Completion = { value: null };
    if (this.recordDone(step.index, type, name, completion, effects(), entryFacts) === false) return undefined;
    return entryOf(step.index, type, name, entryFacts, completion) as EntryOf<K>;
  }
}

/** A new entry: done when it has its completion. */
function entryOf<K extends EntryType>(index: number, type: K, name: string, facts: EntryFacts[K] | undefined, completion?: Completion): Entry {
  // TypeScript cannot relate a generic EntryOf<K> to the union; `facts` is EntryFacts[K] by the signature.
  return { index, type, name, done: completion !== undefined, ...(completion ? { completion } : {}), ...(facts ?? {}) } as unknown as Entry;
}

/** Serializes with a serde, normalizing `undefined` for JSON. */
export function encode<T>(serde: Serde<T> | undefined, value: T): Uint8Array {
  return (serde ?? serdes.json).serialize(value);
}

export function decodeWith<T>(serde: Serde<T> | undefined): (bytes: Uint8Array | null) => T {
  return (bytes) => (serde ?? serdes.json).deserialize(bytes ?? new Uint8Array(0));
}

