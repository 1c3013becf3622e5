/**
 * The engine's Host kept in memory: what one Durable Object stores (journals,
 * state, timers, durable promises, run-failure counts, an outbox), as plain
 * maps. Used by tests and by `MemoryRuntime`. Mirrors `src/durable/effects.ts`:
 * an entry and its effects are applied together, and journals are stored as the
 * Durable Object stores them (through the journal codec), so what the engine holds
 * is never shared with what is stored.
 * Pure: time comes from a `FakeClock` that only tests move; random bytes from the
 * source its creator passes (the engine has none).
 */
import { CancelledError, errorToRecord } from "../../sdk/errors.js";
import { invocationOwner, parseAwakeableId } from "./ids.js";
import { JOURNAL_VERSION, decodeEntry, encodeEntry, type StoredEntry } from "./journal-codec.js";
import type { Completion, Effect, Entry, Host, LogLevel, RandomSource, RunFailures } from "./types.js";

/** Time that moves only when told to. */
export class FakeClock {
  #now: number;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves the clock to `at`; the clock never goes backwards. */
  set(at: number): void {
    if (at < this.#now) throw new RangeError(`FakeClock cannot go back from ${this.#now} to ${at}`);
    this.#now = at;
  }

  advance(ms: number): number {
    this.set(this.#now + ms);
    return this.#now;
  }
}

/** A durable timer: entry `index` of `invocationId` completes at `at`. */
export interface MemoryTimer {
  invocationId: string;
  index: number;
  at: number;
}

/** An effect that leaves this owner: a call or send, an awakeable completion, an attach or a cancel. */
export interface OutboxItem {
  /** The invocation whose entry produced it. */
  from: string;
  effect: Extract<Effect, { type: "call" | "completeAwakeable" | "attach" | "cancel" }>;
}

export interface LogLine {
  level: LogLevel;
  invocationId: string;
  args: unknown[];
}

/** What the host tells its driver; called after the entry and its effects are stored. */
export interface MemoryHostEvents {
  recorded?(invocationId: string, entry: Entry): void;
  /** A durable promise completed an entry another invocation waits on. */
  woke?(invocationId: string, index: number, completion: Completion): void;
  log?(line: LogLine): void;
}

const CANCELLED: Completion = { failure: errorToRecord(new CancelledError()) };

export class MemoryHost implements Host {
  /** Each invocation's journal as stored, by index (JOURNAL_VERSION). */
  readonly journals = new Map<string, StoredEntry[]>();
  readonly state = new Map<string, Uint8Array>();
  readonly timers: MemoryTimer[] = [];
  readonly promises = new Map<string, Completion>();
  readonly promiseWaiters = new Map<string, { invocationId: string; index: number }[]>();
  readonly runFailureCounts = new Map<string, RunFailures>();
  readonly outbox: OutboxItem[] = [];
  readonly logs: LogLine[] = [];
  /** Invocations whose next awaited operation must see a cancellation. */
  readonly cancelRequested = new Set<string>();

  constructor(
    /** The owner name (see ids.ts) this host stands for: an object key, a workflow id, a service shard. */
    readonly owner: string,
    readonly clock: FakeClock = new FakeClock(),
    readonly events: MemoryHostEvents = {},
    /** Where secrets come from (awakeable ids); sdk/testing passes crypto.getRandomValues. */
    readonly random?: RandomSource,
  ) {}

  now(): number {
    return this.clock.now();
  }

  record(invocationId: string, entry: Entry, effects: readonly Effect[]): Completion | undefined {
    const stored = structuredClone(encodeEntry(entry));
    let immediate: Completion | undefined;
    for (const effect of effects) immediate = this.#apply(invocationId, stored, effect) ?? immediate;
    if (!stored.done && this.cancelRequested.delete(invocationId)) immediate = CANCELLED;
    if (immediate && !stored.done) {
      stored.done = true;
      stored.completion = immediate;
    }
    const journal = this.journals.get(invocationId) ?? [];
    journal[stored.index] = stored;
    this.journals.set(invocationId, journal);
    this.events.recorded?.(invocationId, decodeEntry(structuredClone(stored), JOURNAL_VERSION));
    return immediate;
  }

  #apply(inv: string, entry: StoredEntry, effect: Effect): Completion | undefined {
    switch (effect.type) {
      case "setState":
        return void this.state.set(effect.key, effect.value.slice());
      case "clearState":
        return void this.state.delete(effect.key);
      case "clearAllState":
        return void this.state.clear();
      case "timer":
        return void this.timers.push({ invocationId: inv, index: effect.index, at: effect.at });
      case "call":
        if (!invocationOwner(effect.call.invocationId)) {
          return { failure: { name: "TerminalError", message: `Cannot address ${effect.call.target.service}`, code: 404 } };
        }
        return void this.outbox.push({ from: inv, effect: structuredClone(effect) });
      case "completeAwakeable": {
        const address = parseAwakeableId(effect.awakeableId);
        if ("error" in address) return { failure: { name: "TerminalError", message: address.error, code: 400 } };
        return void this.outbox.push({ from: inv, effect: structuredClone(effect) });
      }
      case "attach":
        if (!invocationOwner(effect.invocationId)) {
          return { failure: { name: "TerminalError", message: `Unknown invocation id '${effect.invocationId}'`, code: 404 } };
        }
        return void this.outbox.push({ from: inv, effect });
      case "cancel":
        return void (invocationOwner(effect.invocationId) && this.outbox.push({ from: inv, effect }));
      case "awaitPromise": {
        const existing = this.promises.get(effect.name);
        if (existing) return structuredClone(existing);
        const waiters = this.promiseWaiters.get(effect.name) ?? [];
        waiters.push({ invocationId: inv, index: effect.index });
        return void this.promiseWaiters.set(effect.name, waiters);
      }
      case "completePromise":
        return this.#completePromise(effect.name, effect.completion, entry);
    }
  }

  #completePromise(name: string, completion: Completion, entry: StoredEntry): Completion | undefined {
    if (this.promises.has(name)) {
      entry.completion = { failure: { name: "TerminalError", message: `Promise '${name}' was already completed`, code: 409 } };
      return entry.completion;
    }
    this.promises.set(name, structuredClone(completion));
    const waiters = this.promiseWaiters.get(name) ?? [];
    this.promiseWaiters.delete(name);
    for (const w of waiters) {
      if (this.completeEntry(w.invocationId, w.index, completion)) this.events.woke?.(w.invocationId, w.index, structuredClone(completion));
    }
    return undefined;
  }

  /** Stores a completion for a waiting entry; false when it is unknown or already done. */
  completeEntry(invocationId: string, index: number, completion: Completion): boolean {
    const entry = this.journals.get(invocationId)?.[index];
    if (!entry || entry.done) return false;
    entry.done = true;
    entry.completion = structuredClone(completion);
    this.removeTimer(invocationId, index);
    return true;
  }

  /** Forgets the timer of an entry (it fired, or its entry completed otherwise). */
  removeTimer(invocationId: string, index: number): void {
    const timer = this.timers.findIndex((t) => t.invocationId === invocationId && t.index === index);
    if (timer >= 0) this.timers.splice(timer, 1);
  }

  /** A copy of an invocation's journal, in index order (what an attempt replays). */
  journal(invocationId: string): Entry[] {
    return (this.journals.get(invocationId) ?? []).filter(Boolean).map((e) => decodeEntry(structuredClone(e), JOURNAL_VERSION));
  }

  /** A copy of one entry, if it was recorded. */
  entry(invocationId: string, index: number): Entry | undefined {
    const stored = this.journals.get(invocationId)?.[index];
    return stored && decodeEntry(structuredClone(stored), JOURNAL_VERSION);
  }

  /** Entries still waiting on a completion. */
  pendingEntries(invocationId: string): Entry[] {
    return this.journal(invocationId).filter((e) => !e.done);
  }

  dueTimers(now: number): MemoryTimer[] {
    return this.timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at);
  }

  /** Removes and returns the outbox items. */
  takeOutbox(): OutboxItem[] {
    return this.outbox.splice(0, this.outbox.length);
  }

  readState(_invocationId: string, key: string): Uint8Array | null {
    return this.state.get(key)?.slice() ?? null;
  }

  stateKeys(_invocationId: string): string[] {
    return [...this.state.keys()].sort();
  }

  peekPromise(_invocationId: string, name: string): Completion | undefined {
    const completion = this.promises.get(name);
    return completion && structuredClone(completion);
  }

  runFailures(invocationId: string, index: number): RunFailures {
    return this.runFailureCounts.get(`${invocationId}#${index}`) ?? { count: 0 };
  }

  addRunFailure(invocationId: string, index: number): void {
    const key = `${invocationId}#${index}`;
    const previous = this.runFailureCounts.get(key);
    this.runFailureCounts.set(key, { count: (previous?.count ?? 0) + 1, firstFailureAt: previous?.firstFailureAt ?? this.now() });
  }

  sideEffectStarted(): void {
    // In memory there is no crash to recover from.
  }

  randomBytes(length: number): Uint8Array {
    if (!this.random) throw new Error("This MemoryHost has no random source: pass one (createTestRuntime from resolute/testing uses crypto.getRandomValues)");
    return this.random(new Uint8Array(length));
  }

  log(level: LogLevel, invocationId: string, args: unknown[]): void {
    const line = { level, invocationId, args };
    this.logs.push(line);
    this.events.log?.(line);
  }
}
