/**
 * MemoryRuntime: runs the handlers of a Registry in memory, as the Durable
 * Object runtime does on SQLite (attempts, back-off, exclusive keys, timers,
 * calls, sends, awakeables, durable promises; see memory-driver.ts), behind an
 * API for tests: invoke, advance the fake clock, crash, inspect.
 * Time moves only through `advance()`; in "always replay" mode every newly
 * recorded entry ends the attempt and a fresh one replays the stored journal.
 * Pure: no clock, randomness or timers of its own (see `settle()`); awakeable
 * secrets come from the `random` source its creator passes.
 */
import { TerminalError, errorFromRecord, errorToRecord, KILLED_CODE } from "../../sdk/errors.js";
import type { Definition } from "../../sdk/define.js";
import { durationToMs, type Duration } from "../../sdk/duration.js";
import { addressOf, type TargetKinds } from "./addressing.js";
import { awakeableNotFound, parseAwakeableId } from "./ids.js";
import { MemoryDriver } from "./memory-driver.js";
import { FakeClock, type LogLine, type MemoryHost } from "./memory-host.js";
import type { InvocationInfo } from "./memory-invocations.js";
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
  /** Start no earlier than this long from now (a delayed send). */
  delay?: Duration | number;
}

/** Stops looping on handlers that never stop producing work (a retry loop at 0 ms...). */
const MAX_SETTLE_ROUNDS = 10_000;

export class MemoryRuntime {
  readonly clock: FakeClock;
  readonly registry: Registry;
  readonly kinds: TargetKinds;
  readonly alwaysReplay: boolean;
  readonly #driver: MemoryDriver;
  readonly #macrotask: () => Promise<void>;

  constructor(options: MemoryRuntimeOptions) {
    this.clock = options.clock ?? new FakeClock();
    this.registry = new Registry(options.services);
    this.kinds = { kindOf: (name) => this.registry.service(name)?.kind, serviceShards: options.serviceShards ?? 4 };
    this.alwaysReplay = options.alwaysReplay ?? false;
    this.#macrotask = options.macrotask ?? macrotask;
    const { extraArgs, onLog, random } = options;
    const driverOptions = { alwaysReplay: this.alwaysReplay, ...(extraArgs ? { extraArgs } : {}), ...(onLog ? { onLog } : {}), ...(random ? { random } : {}) };
    this.#driver = new MemoryDriver(this.registry, this.kinds, this.clock, driverOptions);
  }

  // ---- ingress ----

  /** Starts an invocation as ingress would, runs it as far as it goes, and returns its id. */
  async invoke(service: string, handler: string, input?: unknown, opts: InvokeOptions = {}): Promise<string> {
    const spec = this.registry.handler(service, handler);
    if (!spec) throw new TypeError(`No handler '${handler}' in service '${service}'`);
    const target: Target = { service, handler, ...(opts.key !== undefined ? { key: opts.key } : {}) };
    const { owner, invocationId } = this.#driver.ingressAddress(target, opts.idempotencyKey);
    const existing = this.#driver.invocations.get(invocationId);
    if (existing && !opts.idempotencyKey && existing.exclusive && spec.kind === "workflow") {
      throw new TerminalError("the workflow method was already invoked", { errorCode: 409 });
    }
    if (!existing) {
      const notBefore = opts.delay === undefined ? undefined : this.clock.now() + durationToMs(opts.delay);
      const headers = opts.headers ?? {};
      const key = opts.idempotencyKey;
      this.#driver.accept({ invocationId, owner, target, input: spec.input.serialize(input), headers, ...(key ? { idempotencyKey: key } : {}), ...(notBefore !== undefined ? { notBefore } : {}) });
    }
    await this.settle();
    return invocationId;
  }

  /** Invokes and returns the handler's output; throws its terminal error, or when it has not finished. */
  async call<T = unknown>(service: string, handler: string, input?: unknown, opts?: InvokeOptions): Promise<T> {
    return this.result<T>(await this.invoke(service, handler, input, opts));
  }

  /** The output of a finished invocation (decoded with the handler's serde); throws its terminal error. */
  result<T = unknown>(invocationId: string): T {
    const inv = this.#driver.invocations.require(invocationId);
    if (!inv.completion) {
      const why = inv.lastError ? ` (last error: ${inv.lastError.message})` : "";
      throw new Error(`Invocation ${invocationId} has not finished: it is ${inv.status}${why}. Advance the clock or complete what it waits on.`);
    }
    if ("failure" in inv.completion) throw errorFromRecord(inv.completion.failure);
    const bytes = inv.completion.value ?? new Uint8Array(0);
    return (inv.spec ? inv.spec.output.deserialize(bytes) : bytes) as T;
  }

  info(invocationId: string): InvocationInfo {
    return this.#driver.invocations.info(this.#driver.invocations.require(invocationId), this.#driver.live.has(invocationId));
  }

  invocations(): InvocationInfo[] {
    return this.#driver.invocations.all().map((inv) => this.#driver.invocations.info(inv, this.#driver.live.has(inv.id)));
  }

  /** A copy of the stored journal of an invocation. */
  journal(invocationId: string): Entry[] {
    return this.host(this.#driver.invocations.require(invocationId).owner).journal(invocationId);
  }

  /** The host (storage) of an owner name, or of a virtual object / workflow by name and key. */
  host(owner: string): MemoryHost;
  host(service: string, key: string): MemoryHost;
  host(ownerOrService: string, key?: string): MemoryHost {
    if (key === undefined) return this.#driver.hostOf(ownerOrService);
    return this.#driver.hostOf(addressOf(this.kinds, { service: ownerOrService, handler: "", key }, "").owner);
  }

  /** A state value of a virtual object or workflow, JSON-decoded; null when unset. */
  getState<T = unknown>(service: string, key: string, name: string): T | null {
    const bytes = this.host(service, key).state.get(name);
    return bytes === undefined ? null : (JSON.parse(new TextDecoder().decode(bytes)) as T);
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
    const verdict = this.#driver.complete(address.invocationId, address.index, completion, { kind: "awakeable", secret: address.secret });
    if (verdict === "refused") throw new Error(awakeableNotFound(awakeableId));
    await this.settle();
  }

  // ---- time, crashes ----

  /** Moves the clock forward, firing timers, retries and delayed starts in time order. */
  async advance(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    await this.settle();
    for (let next = this.#driver.nextDue(); next !== undefined && next <= until; next = this.#driver.nextDue()) {
      if (next > this.clock.now()) this.clock.set(next);
      await this.settle();
    }
    this.clock.set(until);
    await this.settle();
  }

  /**
   * Drops the attempt in memory (as if the process died) and, unless
   * `replay: false`, replays it from the journal at once. Without replay the
   * invocation stays suspended until a completion arrives or `recover()`.
   */
  async crash(invocationId?: string, opts: { replay?: boolean } = {}): Promise<void> {
    const ids = invocationId === undefined ? [...this.#driver.live.keys()] : [invocationId];
    for (const id of ids) this.#driver.drop(id);
    if (opts.replay ?? true) for (const id of ids) this.#driver.replay(id);
    await this.settle();
  }

  /** Crashes (and replays) the invocation right after the first entry matching `predicate` is stored. */
  crashWhen(predicate: (invocationId: string, entry: Entry) => boolean): void {
    this.#driver.crashWhen.push(predicate);
  }

  /** Replays every running invocation that has no attempt in memory (after `crash(..., { replay: false })`). */
  async recover(): Promise<void> {
    for (const inv of this.#driver.invocations.withStatus("running")) if (!this.#driver.live.has(inv.id)) this.#driver.start(inv);
    await this.settle();
  }

  /** Cancels an invocation: its waiting operations fail with CancelledError. */
  async cancel(invocationId: string): Promise<void> {
    this.#driver.cancel(invocationId);
    await this.settle();
  }

  /** Runs a paused invocation again (what the admin API's `resume` does). */
  async resume(invocationId: string): Promise<void> {
    const inv = this.#driver.invocations.require(invocationId);
    if (inv.status === "paused") this.#driver.start(inv);
    await this.settle();
  }

  async kill(invocationId: string): Promise<void> {
    this.#driver.finish(this.#driver.invocations.require(invocationId), { failure: errorToRecord(new TerminalError("killed", { errorCode: KILLED_CODE })) });
    await this.settle();
  }

  /**
   * Lets handlers run until nothing more happens at the current time: yields
   * to the event loop, delivers outboxes, fires what is due, and repeats until
   * a round makes no progress. Handlers awaiting real I/O are not waited for.
   */
  async settle(): Promise<void> {
    for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
      const before = this.#driver.activity;
      await this.#macrotask();
      this.#driver.deliverOutboxes();
      this.#driver.fireDue();
      if (this.#driver.activity === before) return;
    }
    throw new Error(`MemoryRuntime did not settle after ${MAX_SETTLE_ROUNDS} rounds: a handler keeps producing work at time ${this.clock.now()}`);
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

export type { InvocationInfo, InvocationStatus } from "./memory-invocations.js";
