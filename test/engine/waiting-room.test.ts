/**
 * issue waitcap2 (session 4's "noticed and left alone"): how many requests may wait for
 * results, in the pure engine. A client holding one invocation id pins at most
 * MAX_WAITERS_PER_INVOCATION requests and the key still takes calls; requests joining
 * invocations they did not start take at most half of an object's room; the objects of one
 * isolate share its room (MAX_ISOLATE_WAITING_REQUESTS), and a reset instance's waiters leave
 * it; a call that gives up waiting leaves no waiter behind.
 */
import { describe, expect, it } from "vitest";
import type { ObjectContext } from "../../sdk/context.js";
import { handlers, object } from "../../sdk/define.js";
import { makeInvocationId } from "../../src/engine/ids.js";
import { Lifecycle } from "../../src/engine/lifecycle.js";
import { MemoryStore } from "../../src/engine/memory-store.js";
import type { InvocationResult, InvokeRequest } from "../../src/engine/messages.js";
import { Registry } from "../../src/engine/registry.js";
import { MAX_ISOLATE_WAITING_REQUESTS, MAX_WAITERS_PER_INVOCATION, MAX_WAITING_REQUESTS, WaitingRoom } from "../../src/engine/waiting-room.js";

const counter = object({
  name: "counter",
  handlers: {
    /** Sleeps for as long as the test wants: no timer ever fires here. */
    sleep: async (ctx: ObjectContext) => {
      await ctx.sleep(60_000);
      return 1;
    },
    get: handlers.object.shared(async () => 0),
  },
});
const kinds = { kindOf: () => "object" as const, serviceShards: 1 };
const driver = { now: () => 1_000, wakeBy: () => {}, executing: () => {}, deliverSoon: () => {}, randomBytes: (n: number) => new Uint8Array(n), log: () => {} };

/** The host of counter key `key`, its requests counted in `waiting` (its own room by default). */
function host(key: string, waiting?: WaitingRoom) {
  const owner = `o:counter:${key}`;
  const lifecycle = new Lifecycle(new MemoryStore(), driver, { registry: new Registry([counter]), kinds, ...(waiting ? { waiting } : {}) });
  let next = 0;
  const request = (handler: string, id = makeInvocationId(owner, `${handler}${next++}`)): InvokeRequest => ({
    owner,
    invocationId: id,
    target: { service: "counter", handler, key },
    input: new TextEncoder().encode("null"),
    headers: {},
    invokedBy: "ingress",
  });
  return { lifecycle, request };
}

/** Settles what is already settled (a refusal answers at once; a wait does not). */
async function settled<T>(promises: Promise<T>[]): Promise<T[]> {
  const done: T[] = [];
  for (const p of promises) void p.then((v) => done.push(v));
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return done;
}

const code = (r: InvocationResult) => (r.ok ? 200 : r.error.code);

describe("issue waitcap2: waiting requests are bounded without letting a stranger lock a key", () => {
  it("a client holding one invocation id pins at most MAX_WAITERS_PER_INVOCATION; new calls to the key still get in", async () => {
    const { lifecycle, request } = host("pinned");
    const sleeper = request("sleep");
    expect(lifecycle.send(sleeper)).toMatchObject({ status: "Accepted" });
    const attaches = Array.from({ length: MAX_WAITERS_PER_INVOCATION + 20 }, () => lifecycle.lookup(sleeper.invocationId, true));
    const duplicates = Array.from({ length: 5 }, () => lifecycle.invoke(sleeper)); // the same id again: it joins
    const answered = await settled([...attaches.map(async (a) => ((await a) as { result: InvocationResult }).result), ...duplicates]);
    expect(answered).toHaveLength(25);
    for (const refused of answered) {
      expect(refused).toMatchObject({ ok: false, error: { code: 429, message: expect.stringMatching(/too many requests wait for results of invocation/) }, retryAfterSeconds: 1 });
    }
    // A new call to the key is admitted and answered.
    expect(code(await lifecycle.invoke(request("get")))).toBe(200);
    expect(lifecycle.waiting).toBe(MAX_WAITERS_PER_INVOCATION);
  });

  it("requests joining invocations they did not start take at most half of an object's room; calls get the rest", async () => {
    const { lifecycle, request } = host("joined");
    const sleepers = Array.from({ length: MAX_WAITING_REQUESTS / MAX_WAITERS_PER_INVOCATION + 1 }, () => request("sleep"));
    for (const sleeper of sleepers) lifecycle.send(sleeper); // one runs, the rest queue behind the key's lock
    const attaches = sleepers.flatMap((s) => Array.from({ length: MAX_WAITERS_PER_INVOCATION }, () => lifecycle.lookup(s.invocationId, true)));
    const refused = await settled(attaches);
    expect(refused).toHaveLength(attaches.length - MAX_WAITING_REQUESTS / 2);
    expect(refused[0]).toMatchObject({ state: "done", result: { error: { code: 429, message: expect.stringMatching(/in this object \(1000\) for invocations they did not start/) } } });
    // Calls fill the other half, and then the object refuses them, before admitting them.
    const calls = Array.from({ length: MAX_WAITING_REQUESTS / 2 }, () => lifecycle.invoke(request("sleep")));
    expect(await settled(calls)).toEqual([]);
    const past = request("sleep");
    expect(await lifecycle.invoke(past)).toMatchObject({ ok: false, error: { code: 429, message: expect.stringMatching(/in this object \(1000\): this one was refused before it started/) } });
    expect(lifecycle.send(past)).toMatchObject({ status: "Accepted" }); // it was not admitted: the id is new
  });

  it("the objects of one isolate share its room: full, it refuses a call to an object whose own room is empty", async () => {
    const isolate = WaitingRoom.ofIsolate();
    await fillIsolate(isolate);
    const other = host("other", isolate.room("other"));
    expect(await other.lifecycle.invoke(other.request("get"))).toMatchObject({ ok: false, error: { code: 429, message: expect.stringMatching(/in this isolate, across its objects \(5000\): this one was refused/) } });
  });

  it("a reset instance's waiters (never answered) leave the isolate's room when its object starts again", async () => {
    const isolate = WaitingRoom.ofIsolate();
    await fillIsolate(isolate);
    const again = host("k0", isolate.room("k0"));
    expect(code(await again.lifecycle.invoke(again.request("get")))).toBe(200);
    const other = host("other", isolate.room("other"));
    expect(code(await other.lifecycle.invoke(other.request("get")))).toBe(200);
  });
});

/** Fills `isolate`'s room with calls that wait, a full room in each of its objects k0, k1, …. */
async function fillIsolate(isolate: WaitingRoom): Promise<void> {
  const waits: Promise<InvocationResult>[] = [];
  for (let k = 0; k < MAX_ISOLATE_WAITING_REQUESTS / MAX_WAITING_REQUESTS; k++) {
    const { lifecycle, request } = host(`k${k}`, isolate.room(`k${k}`));
    for (let i = 0; i < MAX_WAITING_REQUESTS; i++) waits.push(lifecycle.invoke(request("sleep")));
  }
  expect(await settled(waits)).toEqual([]);
}
