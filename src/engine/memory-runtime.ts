/**
 * MemoryRuntime: runs the handlers of a Registry in memory on the same lifecycle
 * the Durable Objects run (lifecycle.ts; one per owner, see memory-owners.ts),
 * behind an API for tests: invoke, advance the fake clock, crash, operate on
 * invocations (cancel, kill, pause, resume, purge, restart as new), inspect.
 * Time moves only through `advance()`; in "always replay" mode every newly
 * recorded entry ends the attempt and a fresh one replays the stored journal.
 * Pure: no clock, randomness or timers of its own (see `settle()`); awakeable
 * secrets come from the `random` source its creator passes.
 */
import { withLimitKey } from "../../sdk/flow-control.js";
import { errorFromRecord, type ErrorRecord } from "../../sdk/errors.js";
import type { Definition } from "../../sdk/define.js";
import { durationToMs, type Duration } from "../../sdk/duration.js";
import { addressOf, idempotentInvocationId, stateScope, targetKindsOf, type TargetKinds } from "./addressing.js";
import { FakeClock } from "./fake-clock.js";
import { awakeableNotFound, derivedSuffix, invocationOwner, makeInvocationId, parseAwakeableId } from "./ids.js";
import { targetOf, type InvocationRow, type InvocationStatus } from "./invocation-row.js";
import type { ControlResult } from "./lifecycle-control.js";
import { MemoryOwners, type LogLine, type MemoryOwner } from "./memory-owners.js";
import type { MemoryStore } from "./memory-store.js";
import { Registry } from "./registry.js";
import type { Completion, Entry, RandomSource, Target } from "./types.js";

export interface MemoryRuntimeOptions {
  services: readonly Definition[];
  /** End the attempt after every newly recorded entry and replay from the journal. @default false */
  alwaysReplay?: boolean;
  /** @default a FakeClock at 0 */
  clock?: FakeClock;
  /** @default 4 */
  serviceShards?: number;
  /** Passed to `ctx.request().extraArgs`. */
  extraArgs?: readonly unknown[];
  /** Receives `ctx.console` output and runtime warnings. */
  onLog?: (line: LogLine) => void;
  /** Yields to the event loop once; `settle()` repeats it until nothing happens. @default a MessageChannel round trip */
  macrotask?: () => Promise<void>;
  /**
   * Fills byte arrays for secrets (awakeable ids). `createTestRuntime` from resolute/testing
   * passes crypto.getRandomValues; pass a seeded source to compare journals across runs.
   * @default none: creating an awakeable throws
   */
  random?: RandomSource;
}

export interface InvokeOptions {
  key?: string;
  idempotencyKey?: string;
  headers?: Record<string, string>;
  /** The limit key its target's concurrency and rate limits count it under (ingress's `x-restate-limit-key`). */
  limitKey?: string;
  /** Start no earlier than this long from now (a delayed send). */
  delay?: Duration | number;
}

/** A snapshot of one invocation, for assertions. */
export interface InvocationInfo {
  id: string;
  owner: string;
  target: Target;
  status: InvocationStatus;
  /** Attempts started: the first run, every retry and every replay. */
  attempts: number;
  /** Attempts that ended in a retryable failure. */
  failures: number;
  /** When the next attempt (retry) or the delayed start happens, on the runtime's clock. */
  nextAttemptAt?: number;
  lastError?: ErrorRecord;
  completion?: Completion;
  /** An attempt is in memory (executing or waiting on a completion). */
  live: boolean;
}

/** Stops looping on handlers that never stop producing work (a retry loop at 0 ms...). */
const MAX_SETTLE_ROUNDS = 10_000;

export class MemoryRuntime {
  readonly clock: FakeClock;
  readonly registry: Registry;
  readonly kinds: TargetKinds;
  readonly alwaysReplay: boolean;
  readonly #owners: MemoryOwners;
  readonly #macrotask: () => Promise<void>;
  /** Makes ingress-like invocation ids unique (ingress uses randomness; this runtime has none). */
  #idCount = 0;

  constructor(options: MemoryRuntimeOptions) {
    this.clock = options.clock ?? new FakeClock();
    this.registry = new Registry(options.services);
    this.kinds = targetKindsOf(this.registry, options.serviceShards ?? 4);
    this.alwaysReplay = options.alwaysReplay ?? false;
    this.#macrotask = options.macrotask ?? macrotask;
    const { extraArgs, onLog, random } = options;
    this.#owners = new MemoryOwners({
      registry: this.registry,
      kinds: this.kinds,
      clock: this.clock,
      alwaysReplay: this.alwaysReplay,
      ...(extraArgs ? { extraArgs } : {}),
      ...(onLog ? { onLog } : {}),
      ...(random ? { random } : {}),
    });
  }

  // ---- ingress ----

  /** Starts an invocation as ingress would, runs it as far as it goes, and returns its id. */
  async invoke(service: string, handler: string, input?: unknown, opts: InvokeOptions = {}): Promise<string> {
    const spec = this.registry.handler(service, handler);
    if (!spec) throw new TypeError(`No handler '${handler}' in service '${service}'`);
    const target: Target = { service, handler, ...(opts.key !== undefined ? { key: opts.key } : {}) };
    const { owner, invocationId } = this.#ingressAddress(target, opts.idempotencyKey);
    const notBefore = opts.delay === undefined ? undefined : this.clock.now() + durationToMs(opts.delay);
    const key = opts.idempotencyKey;
    const request = {
      owner,
      invocationId,
      target,
      input: spec.input.serialize(input),
      headers: withLimitKey(opts.headers, opts.limitKey),
      invokedBy: "ingress",
      ...(key ? { idempotencyKey: key } : {}),
      ...(notBefore !== undefined ? { notBefore } : {}),
    };
    const { refused, conflict } = this.#owners.get(owner).lifecycle.admit(request);
    if (refused ?? conflict) throw errorFromRecord((refused ?? conflict)!);
    await this.settle();
    return invocationId;
  }

  #ingressAddress(target: Target, idempotencyKey?: string): { owner: string; invocationId: string } {
    if (idempotencyKey !== undefined) return idempotentInvocationId(this.kinds, target, idempotencyKey);
    const seed = `memory-ingress#${++this.#idCount}`;
    const { owner, fixedSuffix } = addressOf(this.kinds, target, seed);
    return { owner, invocationId: makeInvocationId(owner, fixedSuffix ?? derivedSuffix(seed, 0)) };
  }

  /** Invokes and returns the handler's output; throws its terminal error, or when it has not finished. */
  async call<T = unknown>(service: string, handler: string, input?: unknown, opts?: InvokeOptions): Promise<T> {
    return this.result<T>(await this.invoke(service, handler, input, opts));
  }

  /** The output of a finished invocation (decoded with the handler's serde); throws its terminal error. */
  result<T = unknown>(invocationId: string): T {
    const row = this.#row(invocationId);
    if (!row.completion) {
      const why = row.lastFailure ? ` (last error: ${row.lastFailure.message})` : "";
      throw new Error(`Invocation ${invocationId} has not finished: it is ${row.status}${why}. Advance the clock or complete what it waits on.`);
    }
    if ("failure" in row.completion) throw errorFromRecord(row.completion.failure);
    const bytes = row.completion.value ?? new Uint8Array(0);
    const spec = this.registry.handler(row.service, row.handler);
    return (spec ? spec.output.deserialize(bytes) : bytes) as T;
  }

  info(invocationId: string): InvocationInfo {
    return this.#info(this.#row(invocationId));
  }

  invocations(): InvocationInfo[] {
    return this.#owners.all().flatMap(({ store }) => store.all().map((row) => this.#info(row)));
  }

  #info(row: InvocationRow): InvocationInfo {
    return structuredClone({
      id: row.id,
      owner: invocationOwner(row.id)!,
      target: targetOf(row),
      status: row.status,
      attempts: this.#owners.attemptsStarted(row.id),
      failures: row.attempts,
      ...(row.nextAt !== null ? { nextAttemptAt: row.nextAt } : {}),
      ...(row.lastFailure ? { lastError: row.lastFailure } : {}),
      ...(row.completion ? { completion: row.completion } : {}),
      live: this.#ownerOf(row.id).lifecycle.isLive(row.id),
    });
  }

  /** A copy of the stored journal of an invocation. */
  journal(invocationId: string): Entry[] {
    this.#row(invocationId);
    return this.#ownerOf(invocationId).store.journal(invocationId);
  }

  /** Lines logged by handlers (`ctx.console`) and by the runtime (retries, pauses), in order. */
  get logs(): readonly LogLine[] {
    return this.#owners.logs;
  }

  /** The store of an owner name, or of a virtual object / workflow by name and key. */
  store(owner: string): MemoryStore;
  store(service: string, key: string): MemoryStore;
  store(ownerOrService: string, key?: string): MemoryStore {
    return this.#owners.get(key === undefined ? ownerOrService : this.#keyOwner(ownerOrService, key)).store;
  }

  /** A state value of a virtual object or workflow, JSON-decoded; null when unset. */
  getState<T = unknown>(service: string, key: string, name: string): T | null {
    const scope = stateScope(this.kinds, service, key);
    const bytes = this.store(service, key).readState(scope, name);
    return bytes === null ? null : (JSON.parse(new TextDecoder().decode(bytes)) as T);
  }

  async resolveAwakeable(awakeableId: string, value?: unknown): Promise<void> {
    const bytes = value === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(value));
    await this.#completeAwakeable(awakeableId, { value: bytes });
  }

  async rejectAwakeable(awakeableId: string, reason: string, code = 500): Promise<void> {
    await this.#completeAwakeable(awakeableId, { failure: { name: "TerminalError", message: reason, code } });
  }

  /** As ingress does: a malformed id is a TypeError (400), one that names no live awakeable an Error (404). */
  async #completeAwakeable(awakeableId: string, completion: Completion): Promise<void> {
    const address = parseAwakeableId(awakeableId);
    if ("error" in address) throw new TypeError(address.error);
    const { lifecycle } = this.#owners.get(address.owner);
    const verdict = lifecycle.complete(address.invocationId, address.index, completion, { kind: "awakeable", secret: address.secret });
    if (verdict === "refused") throw new Error(awakeableNotFound(awakeableId));
    await this.settle();
  }

  // ---- time, crashes ----

  /** Moves the clock forward, firing timers, retries, delayed starts and retention's end in time order. */
  async advance(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    await this.settle();
    for (let next = this.#owners.nextDue(); next !== undefined && next <= until; next = this.#owners.nextDue()) {
      if (next > this.clock.now()) this.clock.set(next);
      await this.settle();
    }
    this.clock.set(until);
    await this.settle();
  }

  /**
   * Drops the attempt in memory (as if the process died; every attempt without an id)
   * and, unless `replay: false`, replays it from the journal at once. Without replay the
   * invocation stays suspended until a completion arrives or `recover()`.
   */
  async crash(invocationId?: string, opts: { replay?: boolean } = {}): Promise<void> {
    const owners = invocationId === undefined ? this.#owners.all() : [this.#ownerOf(invocationId)];
    for (const { lifecycle } of owners) lifecycle.evict(invocationId);
    if (opts.replay ?? true) for (const { lifecycle } of owners) lifecycle.recoverOrphans(invocationId);
    await this.settle();
  }

  /** Crashes (and replays) the invocation right after the first entry matching `predicate` is stored. */
  crashWhen(predicate: (invocationId: string, entry: Entry) => boolean): void {
    this.#owners.crashWhen.push(predicate);
  }

  /** Replays every running invocation that has no attempt in memory (after `crash(..., { replay: false })`). */
  async recover(): Promise<void> {
    for (const { lifecycle } of this.#owners.all()) lifecycle.recoverOrphans();
    await this.settle();
  }

  // ---- operators (the admin API's actions; each throws, as the API refuses, when it does not apply) ----

  /** Cancels an invocation: its waiting operations fail with CancelledError. */
  cancel(invocationId: string): Promise<void> {
    return this.#control(invocationId, (lifecycle) => lifecycle.cancel(invocationId));
  }

  /** Stops an invocation at once, without compensation (its callers see 409 "killed"). */
  kill(invocationId: string): Promise<void> {
    return this.#control(invocationId, (lifecycle) => lifecycle.kill(invocationId));
  }

  /** Parks a running or backing-off invocation until `resume`. */
  pause(invocationId: string): Promise<void> {
    return this.#control(invocationId, (lifecycle) => lifecycle.pause(invocationId));
  }

  /** Runs a paused invocation again, or a backing-off one without waiting for its back-off. */
  resume(invocationId: string): Promise<void> {
    return this.#control(invocationId, (lifecycle) => lifecycle.resume(invocationId));
  }

  /** Forgets a completed invocation: its id (and idempotency key, or workflow id) may be used again. */
  purge(invocationId: string): Promise<void> {
    return this.#control(invocationId, (lifecycle) => lifecycle.purge(invocationId));
  }

  /** Runs a completed invocation again under a new id, replaying its first `from` journal entries; the new id. */
  async restartAsNew(invocationId: string, opts: { from?: number } = {}): Promise<string> {
    const owner = this.#ownerName(invocationId);
    const newId = makeInvocationId(owner, derivedSuffix(`memory-restart#${++this.#idCount}`, 0));
    await this.#control(invocationId, (lifecycle) => lifecycle.restartAsNew(invocationId, newId, owner, opts.from ?? 0));
    return newId;
  }

  async #control(invocationId: string, action: (lifecycle: MemoryOwner["lifecycle"]) => ControlResult): Promise<void> {
    const result = action(this.#ownerOf(invocationId).lifecycle);
    if (!result.ok) throw new Error(result.message);
    await this.settle();
  }

  /**
   * Lets handlers run until nothing more happens at the current time: yields
   * to the event loop, delivers outboxes, fires what is due, and repeats until
   * a round makes no progress. Handlers awaiting real I/O are not waited for.
   */
  async settle(): Promise<void> {
    for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
      const before = this.#owners.activity;
      await this.#macrotask();
      this.#owners.deliver();
      this.#owners.fireDue();
      if (this.#owners.activity === before) return;
    }
    throw new Error(`MemoryRuntime did not settle after ${MAX_SETTLE_ROUNDS} rounds: a handler keeps producing work at time ${this.clock.now()}`);
  }

  // ---- lookups ----

  #ownerName(invocationId: string): string {
    const owner = invocationOwner(invocationId);
    if (!owner) throw new Error(`Unknown invocation ${invocationId}`);
    return owner;
  }

  #ownerOf(invocationId: string): MemoryOwner {
    return this.#owners.get(this.#ownerName(invocationId));
  }

  #row(invocationId: string): InvocationRow {
    const row = this.#ownerOf(invocationId).store.invocation(invocationId);
    if (!row) throw new Error(`Unknown invocation ${invocationId}`);
    return row;
  }

  #keyOwner(service: string, key: string): string {
    return addressOf(this.kinds, { service, handler: "", key }, "").owner;
  }
}

/** One trip through the event loop: every microtask queued before it has run. */
function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export type { LogLine } from "./memory-owners.js";
