/**
 * hostile "idempotent ids from a non-cryptographic hash": an idempotent invocation's id is a
 * hash of its target and idempotency key (cyrb53), so a request crafted to collide reaches the
 * row of another. Forced here: requests that reuse a stored invocation's id with another
 * handler or another idempotency key. They are refused (409) and never get the stored answer:
 * an ingress call, a one-way send, a handler's call (answered in the response, or by a reply
 * delivery), an attach or output by idempotency key (404); the honest duplicate (same target
 * and key) still gets the first answer.
 */
import { describe, expect, it } from "vitest";
import type { ObjectContext } from "../../sdk/context.js";
import { object } from "../../sdk/define.js";
import { idempotentInvocationId } from "../../src/engine/addressing.js";
import { Lifecycle } from "../../src/engine/lifecycle.js";
import { MemoryStore } from "../../src/engine/memory-store.js";
import type { InvokeRequest } from "../../src/engine/messages.js";
import { Registry } from "../../src/engine/registry.js";
import { receiptResponse } from "../../src/ingress/responses.js";

const OWNER = "o:vault:k";

function setUp() {
  const vault = object({
    name: "vault",
    handlers: {
      secret: async (_ctx: ObjectContext, who: string) => `secret of ${who}`,
      other: async (_ctx: ObjectContext, who: string) => `other for ${who}`,
    },
  });
  const kinds = { kindOf: () => "object" as const, serviceShards: 1 };
  const store = new MemoryStore();
  const driver = { now: () => 1_000, wakeBy: () => {}, executing: () => {}, deliverSoon: () => {}, randomBytes: (n: number) => new Uint8Array(n), log: () => {} };
  const lifecycle = new Lifecycle(store, driver, { registry: new Registry([vault]), kinds });
  const target = { service: "vault", handler: "secret", key: "k" };
  const { invocationId } = idempotentInvocationId(kinds, target, "victim-key");
  /** A request for `handler` with `key`, forced onto the victim's id (a collision). */
  const request = (handler: string, key: string, extra: Partial<InvokeRequest> = {}): InvokeRequest => ({
    owner: OWNER,
    invocationId,
    target: { ...target, handler },
    input: new TextEncoder().encode(JSON.stringify(handler === "secret" && key === "victim-key" ? "victim" : "attacker")),
    headers: {},
    invokedBy: "ingress",
    idempotencyKey: key,
    ...extra,
  });
  return { lifecycle, store, request, invocationId };
}

const text = (result: { ok: boolean; value?: Uint8Array }) => (result.ok ? JSON.parse(new TextDecoder().decode(result.value)) : undefined);

describe("hostile: a request colliding with another's idempotent id", () => {
  it("is refused with 409 and never handed the stored answer; the honest duplicate still is", async () => {
    const { lifecycle, store, request, invocationId } = setUp();
    const first = await lifecycle.invoke(request("secret", "victim-key"));
    expect(text(first as { ok: true; value: Uint8Array })).toBe("secret of victim");

    for (const forged of [request("secret", "attacker-key"), request("other", "victim-key"), request("secret", "victim-key", { target: { service: "vault", handler: "secret", key: "k2" } })]) {
      const answer = await lifecycle.invoke(forged);
      expect(answer).toMatchObject({ invocationId, ok: false, error: { code: 409, message: expect.stringMatching(/belongs to another request/) } });
      expect(JSON.stringify(answer)).not.toContain("secret of");
      const receipt = lifecycle.send(forged);
      expect(receipt).toMatchObject({ invocationId, status: "Refused", error: { code: 409 } });
      const response = receiptResponse(receipt); // not "Accepted": the send was not
      expect(response.status).toBe(409);
      expect(await response.json()).toMatchObject({ code: 409, message: expect.stringMatching(/belongs to another request/) });
      expect(lifecycle.admitCall({ ...forged, replyTo: { owner: "o:thief:t", invocationId: "inv_thief", index: 1 } })).toEqual({ completion: { failure: expect.objectContaining({ code: 409 }) } });
    }

    // A handler's call delivered with a forged id gets the refusal as its reply, not the result.
    lifecycle.deliver({ kind: "invoke", request: { ...request("secret", "attacker-key"), replyTo: { owner: "o:thief:t", invocationId: "inv_thief", index: 2 } } });
    expect(store.takeOutbox()).toEqual([
      { owner: "o:thief:t", delivery: { kind: "complete", owner: "o:thief:t", invocationId: "inv_thief", index: 2, calleeId: invocationId, completion: { failure: expect.objectContaining({ code: 409 }) } } },
    ]);
    // The honest duplicate: same target and key, the first answer.
    expect(text((await lifecycle.invoke(request("secret", "victim-key"))) as { ok: true; value: Uint8Array })).toBe("secret of victim");
    expect(lifecycle.send(request("secret", "victim-key"))).toEqual({ invocationId, status: "PreviouslyAccepted" });
    expect(store.invocation(invocationId)).toMatchObject({ handler: "secret", idempotencyKey: "victim-key" }); // the victim's row, untouched

    // Attach or output by idempotency key (which carries target and key): only the row's own request finds it.
    for (const forged of [request("secret", "attacker-key"), request("other", "victim-key")]) {
      expect(await lifecycle.lookup(invocationId, false, forged)).toEqual({ state: "unknown" });
      expect(await lifecycle.lookup(invocationId, true, forged)).toEqual({ state: "unknown" });
    }
    expect(await lifecycle.lookup(invocationId, true, request("secret", "victim-key"))).toMatchObject({ state: "done", result: { ok: true } });
  });
});
