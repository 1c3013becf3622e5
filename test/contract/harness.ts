/**
 * What a lifecycle contract case drives: one Lifecycle over the store under test,
 * with a fake clock and a driver that records what the lifecycle asked for
 * (wake-ups, deliveries, logs), and gates that handlers wait on so a case decides
 * when each step finishes. Runs in Node (the memory store) and inside a Durable
 * Object on workerd (the SQLite store): no Node or vitest APIs here.
 */
import type { Definition } from "../../sdk/define.js";
import { FakeClock } from "../../src/engine/fake-clock.js";
import { makeInvocationId, ownerName } from "../../src/engine/ids.js";
import type { InvocationRow } from "../../src/engine/invocation-row.js";
import { Lifecycle, type Admission } from "../../src/engine/lifecycle.js";
import type { LifecycleDriver } from "../../src/engine/lifecycle-driver.js";
import type { LifecycleStore } from "../../src/engine/lifecycle-store.js";
import type { Delivery, InvokeRequest } from "../../src/engine/messages.js";
import { Registry } from "../../src/engine/registry.js";

/** The owner every case's invocations belong to (one Durable Object: one key's lock). */
export const OWNER = ownerName("o", "account", "k");

/** A promise a handler waits on until the case opens (or fails) it. */
export interface Gate {
  promise: Promise<string>;
  open(value?: string): void;
  fail(error: Error): void;
}

export class Harness {
  readonly clock = new FakeClock(1_000_000);
  readonly lifecycle: Lifecycle;
  readonly store: LifecycleStore;
  /** Every delivery the lifecycle enqueued, in order. */
  readonly deliveries: { owner: string; delivery: Delivery }[] = [];
  /** Times the lifecycle asked to be woken by. */
  readonly wakeUps: number[] = [];
  readonly logs: string[] = [];
  /** What handlers did, in order (each case's handlers push here). */
  readonly events: string[] = [];
  #gates = new Map<string, Gate>();
  #activity = 0;

  constructor(store: LifecycleStore, services: (h: Harness) => Definition[]) {
    this.store = recordingEnqueues(store, this.deliveries);
    const registry = new Registry(services(this));
    const kinds = { kindOf: (name: string) => registry.service(name)?.kind, serviceShards: 1 };
    this.lifecycle = new Lifecycle(this.store, this.#driver(), { registry, kinds });
  }

  /** The gate named `name` (made on first use, by the case or by a handler). */
  gate(name: string): Gate {
    let gate = this.#gates.get(name);
    if (!gate) {
      let open!: (value: string) => void;
      let fail!: (error: Error) => void;
      const promise = new Promise<string>((resolve, reject) => ((open = resolve), (fail = reject)));
      gate = { promise, open: (value = name) => open(value), fail };
      this.#gates.set(name, gate);
    }
    return gate;
  }

  /** Admits `handler` of `service` (key "k" for objects and workflows) as invocation `suffix`. */
  admit(service: string, handler: string, suffix: string, extra: Partial<InvokeRequest> = {}, input: unknown = null): Admission {
    const kind = service === "wf" ? "w" : service === "svc" ? "s" : "o";
    const owner = kind === "o" ? OWNER : ownerName(kind, service, kind === "s" ? "0" : "k");
    const request: InvokeRequest = {
      owner,
      invocationId: makeInvocationId(owner, suffix),
      target: { service, handler, ...(kind === "s" ? {} : { key: "k" }) },
      input: new TextEncoder().encode(JSON.stringify(input)),
      headers: {},
      invokedBy: "ingress",
      ...extra,
    };
    return this.lifecycle.admit(request, extra.replyTo);
  }

  /** The stored row of `id`; throws when there is none. */
  row(id: string): InvocationRow {
    const row = this.store.invocation(id);
    if (!row) throw new Error(`no invocation ${id}`);
    return row;
  }

  /** Lets attempts run until nothing more happens (bounded). */
  async settle(): Promise<void> {
    for (let round = 0; round < 50; round++) {
      const before = this.#activity;
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.#activity === before) return;
    }
    throw new Error("the lifecycle did not settle in 50 rounds");
  }

  /** Moves the clock forward and fires what became due. */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    this.lifecycle.fireDue();
    await this.settle();
  }

  #driver(): LifecycleDriver {
    const bump = (): void => void this.#activity++;
    return {
      now: () => this.clock.now(),
      wakeBy: (at) => (this.wakeUps.push(at), bump()),
      executing: () => {},
      deliverSoon: bump,
      randomBytes: (length) => new Uint8Array(length).fill(7),
      log: (level, id, args) => this.logs.push(`${level} ${id} ${args.join(" ")}`),
      rowChanged: bump,
      attemptStarted: bump,
      attemptEnded: bump,
      entryRecorded: bump,
    };
  }
}

/** The store, with each enqueued delivery also pushed to `into`. */
function recordingEnqueues(store: LifecycleStore, into: { owner: string; delivery: Delivery }[]): LifecycleStore {
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === "enqueue") return (owner: string, delivery: Delivery, now: number) => (into.push({ owner, delivery }), target.enqueue(owner, delivery, now));
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** Throws unless `actual` and `expected` are equal as JSON (key order aside). */
export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  const a = canonical(actual);
  const b = canonical(expected);
  if (a !== b) throw new Error(`${what}: expected ${b}, got ${a}`);
}

export function expectTrue(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v instanceof Uint8Array ? new TextDecoder().decode(v) : v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => x.localeCompare(y))) : v,
  );
}
