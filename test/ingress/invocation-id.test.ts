import { describe, expect, it, vi } from "vitest";
import { service } from "../../sdk/define.js";
import { invocationOwner, ownerName, parseOwnerName } from "../../src/engine/ids.js";
import { Attempt } from "../../src/engine/attempt.js";
import { Registry } from "../../src/engine/registry.js";
import type { Effect, Host, Target } from "../../src/engine/types.js";
import { invocationIdFor, newRandomSuffix, targetKinds } from "../../src/ingress/invocation-id.js";
import { objectNameOf } from "../../src/engine/addressing.js";
import { counter, greeter, signup } from "./fixtures.js";

const SHARDS = 8;
const kinds = targetKinds(new Registry([greeter, counter, signup]), SHARDS);
const greet: Target = { service: "greeter", handler: "greet" };
const add: Target = { service: "counter", handler: "add", key: "a/b" };

describe("invocationIdFor", () => {
  it("gives the same owner and id for the same idempotency key", () => {
    expect(invocationIdFor(kinds, greet, "k1")).toEqual(invocationIdFor(kinds, greet, "k1"));
    expect(invocationIdFor(kinds, add, "k1")).toEqual(invocationIdFor(kinds, add, "k1"));
  });

  it("gives different ids for different keys, handlers or object keys", () => {
    const ids = new Set([
      invocationIdFor(kinds, greet, "k1").invocationId,
      invocationIdFor(kinds, greet, "k2").invocationId,
      invocationIdFor(kinds, { service: "greeter", handler: "send" }, "k1").invocationId,
      invocationIdFor(kinds, add, "k1").invocationId,
      invocationIdFor(kinds, { ...add, key: "other" }, "k1").invocationId,
    ]);
    expect(ids.size).toBe(5);
  });

  it("gives a fresh id without an idempotency key", () => {
    expect(invocationIdFor(kinds, greet).invocationId).not.toBe(invocationIdFor(kinds, greet).invocationId);
  });

  it("uses the random suffix as the id suffix and the shard seed", () => {
    const a = invocationIdFor(kinds, greet, undefined, () => "abc123");
    expect(a.invocationId.endsWith(".abc123")).toBe(true);
    expect(invocationIdFor(kinds, greet, undefined, () => "abc123")).toEqual(a);
  });

  it("puts an object key's invocations on that key's owner, routable from the id", () => {
    const { owner, invocationId } = invocationIdFor(kinds, add);
    expect(owner).toBe(ownerName("o", "counter", "a/b"));
    expect(invocationOwner(invocationId)).toBe(owner);
  });

  it("gives a workflow run one id per workflow id, idempotency key or not", () => {
    const run: Target = { service: "signup", handler: "run", key: "u1" };
    const first = invocationIdFor(kinds, run);
    expect(invocationIdFor(kinds, run, "k")).toEqual(first);
    expect(first.invocationId.endsWith(".run")).toBe(true);
    expect(invocationIdFor(kinds, { ...run, key: "u2" }).invocationId).not.toBe(first.invocationId);
  });

  it("spreads service invocations over the configured shards", () => {
    const shards = new Set<string>();
    for (let i = 0; i < 200; i++) shards.add(parseOwnerName(invocationIdFor(kinds, greet).owner)!.key);
    expect([...shards].every((s) => Number(s) >= 0 && Number(s) < SHARDS)).toBe(true);
    expect(shards.size).toBe(SHARDS);
  });

  it("rejects a non-positive shard count", () => {
    expect(() => targetKinds(new Registry([]), 0)).toThrow(/serviceShards/);
  });

  it("makes random suffixes that are valid id characters", () => {
    expect(newRandomSuffix()).toMatch(/^[0-9a-f]{32}$/);
  });

  it("issue 14: makes suffixes that sort by the time they were made (an object's id index grows at its end), all different", () => {
    const now = vi.spyOn(Date, "now");
    try {
      now.mockReturnValue(1_764_600_000_000);
      const earlier = Array.from({ length: 10 }, () => newRandomSuffix());
      now.mockReturnValue(1_764_600_000_001);
      const later = Array.from({ length: 10 }, () => newRandomSuffix());
      expect(new Set([...earlier, ...later]).size).toBe(20);
      for (const e of earlier) for (const l of later) expect(e < l).toBe(true);
    } finally {
      now.mockRestore();
    }
  });
});

describe("ingress and handlers agree on idempotent ids", () => {
  /** The id the engine gives a send with an idempotency key, captured from its effect. */
  async function engineSendId(target: Target, idempotencyKey: string): Promise<string> {
    const caller = service({
      name: "caller",
      handlers: {
        go: async (ctx) => {
          ctx.genericSend({ service: target.service, method: target.handler, parameter: new Uint8Array(0), idempotencyKey, ...(target.key !== undefined ? { key: target.key } : {}) });
        },
      },
    });
    const reg = new Registry([caller, greeter, counter, signup]);
    const effects: Effect[] = [];
    const host: Host = {
      now: () => 0,
      record: (_id, _entry, fx) => void effects.push(...fx),
      readState: () => null,
      stateKeys: () => [],
      peekPromise: () => undefined,
      runFailures: () => ({ count: 0 }),
      sideEffectStarted: () => {},
      log: () => {},
      randomBytes: (n) => new Uint8Array(n),
    };
    const spec = reg.handler("caller", "go")!;
    const attempt = new Attempt({ invocationId: "inv_1test.x", target: { service: "caller", handler: "go" }, input: new Uint8Array(0), headers: {}, journal: [], spec, kinds: targetKinds(reg, SHARDS), host });
    await attempt.start();
    const call = effects.find((e) => e.type === "call");
    if (call?.type !== "call") throw new Error("the handler recorded no call");
    return call.call.invocationId;
  }

  it("for a service and for an object key", async () => {
    expect(await engineSendId(greet, "k1")).toBe(invocationIdFor(kinds, greet, "k1").invocationId);
    expect(await engineSendId(add, "k1")).toBe(invocationIdFor(kinds, add, "k1").invocationId);
  });
});

describe("objectNameOf", () => {
  it("hosts object keys and service shards in the object of their own name", () => {
    expect(objectNameOf(ownerName("o", "counter", "w:x"), 64)).toBe("o:counter:w:x");
    expect(objectNameOf(ownerName("s", "greeter", "3"), 64)).toBe("s:greeter:3");
  });

  it("spreads workflow ids over the shard objects, the same id always to the same one", () => {
    const hosts = Array.from({ length: 400 }, (_, i) => objectNameOf(ownerName("w", "signup", `user-${i}`), 8));
    expect(new Set(hosts)).toEqual(new Set(Array.from({ length: 8 }, (_, n) => `wf-shard:signup:${n}`)));
    expect(objectNameOf(ownerName("w", "signup", "user-7"), 8)).toBe(hosts[7]);
  });

  it("hosts each workflow id in its own object with 0 shards", () => {
    expect(objectNameOf(ownerName("w", "signup", "u1"), 0)).toBe("w:signup:u1");
  });
});
