/**
 * Shared vocabulary of the engine: journal entries, completions, effects and the
 * host port. Pure data; no runtime imports.
 */
import type { ErrorRecord } from "../../sdk/errors.js";

/** Kinds of journal entries; each context operation records exactly one. */
export type EntryType =
  | "run"
  | "sleep"
  | "getState"
  | "setState"
  | "clearState"
  | "clearAllState"
  | "getStateKeys"
  | "call"
  | "send"
  | "awakeable"
  | "completeAwakeable"
  | "getPromise"
  | "peekPromise"
  | "completePromise"
  | "attach"
  | "cancel"
  | "combinator";

/** The result of a completed operation: a payload or a terminal failure. */
export type Completion = { value: Uint8Array | null } | { failure: ErrorRecord };

/** One journal entry as stored. `done` is false while it waits for a completion. */
export interface Entry {
  index: number;
  type: EntryType;
  name: string;
  done: boolean;
  completion?: Completion;
  /** Extra facts the entry needs on replay (wake-up time, callee id...), JSON. */
  data?: string;
}

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
  | { type: "completeAwakeable"; awakeableId: string; completion: Completion }
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
   * User code that may perform I/O is now in flight (a `ctx.run` closure
   * returned a promise). Called in the same synchronous turn the I/O starts,
   * so the host can make a crash from here on recoverable before it leaves.
   */
  sideEffectStarted(invocationId: string): void;
}
