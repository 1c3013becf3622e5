/**
 * Shared vocabulary of the engine: journal entries, completions, effects and the
 * host port. Pure data; no runtime imports.
 */
import type { ErrorRecord } from "../../sdk/errors.js";

/** How a combinator was decided: an input that settled, and whether it succeeded. */
export interface Settlement {
  index: number;
  ok: boolean;
}

/**
 * What each kind of journal entry records beside its completion (most record
 * nothing more); each context operation records exactly one entry. Stored through
 * journal-codec.ts only.
 */
export interface EntryFacts {
  run: Record<never, never>;
  /** When the timer is due (host time, ms). */
  sleep: { wakeAt: number };
  getState: Record<never, never>;
  setState: Record<never, never>;
  clearState: Record<never, never>;
  clearAllState: Record<never, never>;
  getStateKeys: Record<never, never>;
  /** The callee's invocation id: a replay calls the same invocation, a cancellation follows it. */
  call: { calleeId: string };
  send: { calleeId: string };
  /**
   * The random part of the awakeable's id, the proof a completion must show. Null in
   * journals written before awakeable ids had one (journal version 1): such an
   * awakeable cannot be completed by id.
   */
  awakeable: { secret: string | null };
  completeAwakeable: Record<never, never>;
  getPromise: Record<never, never>;
  peekPromise: Record<never, never>;
  completePromise: Record<never, never>;
  attach: Record<never, never>;
  cancel: Record<never, never>;
  /** The inputs that settled, in order, until the combinator was decided (replayed as recorded). */
  combinator: { order: Settlement[] };
}

/** Kinds of journal entries. */
export type EntryType = keyof EntryFacts;

/** The result of a completed operation: a payload or a terminal failure. */
export type Completion = { value: Uint8Array | null } | { failure: ErrorRecord };

/** One journal entry of type `K`. `done` is false while it waits for a completion. */
export type EntryOf<K extends EntryType> = {
  index: number;
  type: K;
  name: string;
  done: boolean;
  completion?: Completion;
} & EntryFacts[K];

/** One journal entry: a union with one variant per entry type. */
export type Entry = { [K in EntryType]: EntryOf<K> }[EntryType];

/** Where an invocation runs and how it was addressed. */
export interface Target {
  service: string;
  handler: string;
  key?: string;
}

/** Describes a call or send the host must deliver exactly once. */
export interface OutgoingCall {
  invocationId: string;
  target: Target;
  input: Uint8Array;
  headers: Record<string, string>;
  idempotencyKey?: string;
  /** Absolute time (ms) before which a delayed send must not start. */
  notBefore?: number;
  /** Set for request-response calls: where to deliver the result. */
  replyTo?: { invocationId: string; index: number };
}

/** Side effects that commit atomically with the entry that caused them. */
export type Effect =
  | { type: "setState"; key: string; value: Uint8Array }
  | { type: "clearState"; key: string }
  | { type: "clearAllState" }
  | { type: "timer"; index: number; at: number }
  | { type: "call"; call: OutgoingCall }
  /** `traceparent`: the completing step's span, when tracing is on (the awakeable's span links to it). */
  | { type: "completeAwakeable"; awakeableId: string; completion: Completion; traceparent?: string }
  | { type: "awaitPromise"; name: string; index: number }
  | { type: "completePromise"; name: string; completion: Completion }
  | { type: "attach"; index: number; invocationId: string }
  | { type: "cancel"; invocationId: string };

/** Failed attempts of one `ctx.run` so far. */
export interface RunFailures {
  count: number;
  /** Host time of the first failure; undefined before any. */
  firstFailureAt?: number;
}

/** Fills `bytes` from a random source and returns them (the shape of crypto.getRandomValues). */
export type RandomSource = (bytes: Uint8Array) => Uint8Array;

/** Severity of an engine log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * What the engine needs from the place it runs (a Durable Object, or memory in
 * tests). Storage calls are synchronous: SQLite in a Durable Object is.
 */
export interface Host {
  now(): number;
  /**
   * Appends `entry` and applies `effects` in one transaction. May return a
   * completion when it is already known (a durable promise already resolved).
   */
  record(invocationId: string, entry: Entry, effects: readonly Effect[]): Completion | undefined;
  /** State of the object key or workflow id `invocationId` runs for. */
  readState(invocationId: string, key: string): Uint8Array | null;
  stateKeys(invocationId: string): string[];
  /** A durable promise of the workflow id `invocationId` runs for. */
  peekPromise(invocationId: string, name: string): Completion | undefined;
  /** How often the `run` at `index` already failed, and when first (for run retry policies). */
  runFailures(invocationId: string, index: number): RunFailures;
  log(level: LogLevel, invocationId: string, args: unknown[]): void;
  /**
   * `length` bytes from a real random source (crypto.getRandomValues): secrets such
   * as an awakeable id's, which must not be derivable. Journaled by the caller, so a
   * replay never asks again; never used for the handler's own (seeded) randomness.
   */
  randomBytes(length: number): Uint8Array;
  /**
   * User code that may perform I/O is now in flight (a `ctx.run` closure
   * returned a promise). Called in the same synchronous turn the I/O starts,
   * so the host can make a crash from here on recoverable before it leaves.
   */
  sideEffectStarted(invocationId: string): void;
  /**
   * Present only when tracing is on (nothing is made or called for tracing otherwise): told
   * when a step runs for the first time, and the reason calls, sends and awakeable
   * completions carry a `traceparent` (trace-context.ts).
   */
  readonly tracer?: StepTracer;
}

/** What the engine tells a tracer from inside an attempt. */
export interface StepTracer {
  /** Journal entry `index` of `invocationId` starts executing for the first time (never for a replayed entry). */
  stepStarted(invocationId: string, index: number, type: EntryType, name: string): void;
}
