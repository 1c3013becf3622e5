/**
 * The owner hosts of the memory runtime: one lifecycle over one MemoryStore per
 * owner (object key, workflow id, service shard), each with a driver on the fake
 * clock, and deliveries carried between them as the Durable Objects' outboxes
 * carry them. Counts what happens, so `settle()` knows when nothing more will.
 * The test runtime's crash points and always-replay mode act through the lifecycle's own
 * events: an eviction and a recovery. Pure: no clock or randomness of its own.
 */
import type { TargetKinds } from "./addressing.js";
import type { FakeClock } from "./fake-clock.js";
import { Lifecycle } from "./lifecycle.js";
import type { LifecycleDriver } from "./lifecycle-driver.js";
import { MemoryStore } from "./memory-store.js";
import { deliveryOwner, isLimiterDelivery, type Delivery } from "./messages.js";
import { MemoryLimits } from "./memory-limits.js";
import type { Registry } from "./registry.js";
import type { Entry, LogLevel, RandomSource } from "./types.js";

export interface LogLine {
  level: LogLevel;
  invocationId: string;
  args: unknown[];
}

export interface MemoryOwner {
  readonly store: MemoryStore;
  readonly lifecycle: Lifecycle;
}

export interface MemoryOwnersOptions {
  registry: Registry;
  kinds: TargetKinds;
  clock: FakeClock;
  alwaysReplay: boolean;
  extraArgs?: readonly unknown[];
  onLog?: (line: LogLine) => void;
  random?: RandomSource;
}

export class MemoryOwners {
  readonly #owners = new Map<string, MemoryOwner>();
  readonly logs: LogLine[] = [];
  /** Crash (and replay) the invocation after the first stored entry each one matches. */
  readonly crashWhen: ((invocationId: string, entry: Entry) => boolean)[] = [];
  /** Attempts started per invocation (first runs, retries, replays). */
  readonly #started = new Map<string, number>();
  /** Bumped by anything that may create more work; `settle()` stops when it stays still. */
  activity = 0;
  /** The limiters and rule books (issue 15), owners of their own kind. */
  readonly #limits = new MemoryLimits(() => void this.activity++);

  constructor(private readonly options: MemoryOwnersOptions) {}

  /** The host of `owner`, made on first use. */
  get(owner: string): MemoryOwner {
    let host = this.#owners.get(owner);
    if (!host) {
      const store = new MemoryStore();
      const { registry, kinds, alwaysReplay, extraArgs } = this.options;
      const lifecycle = new Lifecycle(store, this.#driver(() => host!), { registry, kinds, alwaysReplay, ...(extraArgs ? { extraArgs } : {}) });
      host = { store, lifecycle };
      this.#owners.set(owner, host);
    }
    return host;
  }

  all(): MemoryOwner[] {
    return [...this.#owners.values()];
  }

  attemptsStarted(invocationId: string): number {
    return this.#started.get(invocationId) ?? 0;
  }

  /** Delivers every outbox's deliveries (the limiters' due ones too) to their owners; how many. */
  deliver(): number {
    let delivered = 0;
    const now = this.options.clock.now();
    const pending = [...this.all().flatMap(({ store }) => store.takeOutbox()), ...this.#limits.takeDue(now)];
    for (const { delivery } of pending) {
      this.#deliverOne(delivery, now);
      delivered++;
    }
    this.activity += delivered;
    return delivered;
  }

  #deliverOne(delivery: Delivery, now: number): void {
    if (isLimiterDelivery(delivery)) this.#limits.apply(delivery, now);
    else this.get(deliveryOwner(delivery)).lifecycle.deliver(delivery);
  }

  /** Fires what is due at the clock's time on every owner. */
  fireDue(): void {
    for (const { lifecycle } of this.all()) this.activity += lifecycle.fireDue();
  }

  /** The earliest time any owner has work due. */
  nextDue(): number | undefined {
    const times = [...this.all().map(({ store }) => store.earliestDue() ?? Infinity), this.#limits.nextDue() ?? Infinity];
    const next = Math.min(Infinity, ...times);
    return next === Infinity ? undefined : next;
  }

  #driver(host: () => MemoryOwner): LifecycleDriver {
    const bump = (): void => void this.activity++;
    return {
      now: () => this.options.clock.now(),
      wakeBy: bump,
      // No process to die while an attempt executes: nothing to arm.
      executing: () => {},
      deliverSoon: bump,
      randomBytes: (length) => {
        const random = this.options.random;
        if (!random) throw new Error("This memory runtime has no random source: pass `random` (createTestRuntime from resolute/testing uses crypto.getRandomValues)");
        return random(new Uint8Array(length));
      },
      log: (level, invocationId, args) => {
        const line = { level, invocationId, args };
        this.logs.push(line);
        this.options.onLog?.(line);
      },
      rowChanged: bump,
      attemptStarted: ({ invocationId }) => {
        this.#started.set(invocationId, this.attemptsStarted(invocationId) + 1);
        bump();
      },
      attemptEnded: bump,
      entryRecorded: (invocationId, entry) => this.#recorded(host(), invocationId, entry),
    };
  }

  #recorded({ lifecycle }: MemoryOwner, invocationId: string, entry: Entry): void {
    this.activity++;
    const crash = this.crashWhen.findIndex((matches) => matches(invocationId, entry));
    if (crash >= 0) this.crashWhen.splice(crash, 1);
    if (!this.options.alwaysReplay && crash < 0) return;
    // The engine is mid-call: drop the attempt now (it records nothing more), replay once the call returns.
    lifecycle.evict(invocationId);
    queueMicrotask(() => lifecycle.recoverOrphans(invocationId));
  }
}
