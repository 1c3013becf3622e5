/**
 * Issue #15: the merchant-payments example on the real runtime, against its
 * gateway served from Node (fixtures/merchant-gateway.ts), which refuses a 4th
 * concurrent charge of one merchant with 429 and records the most in flight.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerdRuntime, admin, eventually } from "../support/runtime.js";
import { MerchantGateway } from "./fixtures/merchant-gateway.js";
import { GATEWAY_CONCURRENCY } from "../../examples/merchant-payments/merchant-payments.js";

describe("examples: merchant payments (issue #15)", () => {
  let rt: WorkerdRuntime;
  let gateway: MerchantGateway;
  beforeAll(async () => {
    gateway = await MerchantGateway.start();
    rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/examples5-worker.ts", bindings: { GATEWAY_URL: gateway.url } });
  });
  afterAll(async () => {
    await rt?.dispose();
    await gateway?.stop();
  });

  const pay = (merchantId: string, paymentId: string) => rt.post("/checkout/pay", { merchantId, paymentId, amount: 1200 });

  it("a burst for two merchants: every payment succeeds, never more than 3 charges of one merchant at once, never a 429", async () => {
    // Charges long enough that the queue's next grant always lands while 2 are still in flight,
    // even on a loaded machine (at 30 ms a slow grant once left at most 2 overlapping).
    gateway.chargeMs = 250;
    const payments = ["m-1", "m-2"].flatMap((merchant) => Array.from({ length: 20 }, (_, i) => pay(merchant, `p-${i}`)));
    const answers = await Promise.all(payments);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers[0]!.body).toEqual({ merchantId: "m-1", paymentId: "p-0", chargeId: "ch_m-1-p-0", amount: 1200 });
    expect(gateway.maxInFlight.get("m-1")).toBe(GATEWAY_CONCURRENCY);
    expect(gateway.maxInFlight.get("m-2")).toBe(GATEWAY_CONCURRENCY);
    expect(gateway.refused).toEqual([]);
    expect(new Set(gateway.requests.map((r) => r.key)).size).toBe(40);
    gateway.chargeMs = 30;
  });

  it("the queue per merchant is visible while the gateway is slow, and survives a restart", async () => {
    gateway.chargeMs = 60_000; // held until the restart closes the connections
    const sent = await Promise.all(Array.from({ length: 6 }, (_, i) => rt.post("/checkout/pay/send", { merchantId: "m-3", paymentId: `q-${i}`, amount: 500 })));
    expect(sent.every((s) => s.status === 202)).toBe(true);
    const view = await eventually(async () => {
      const v = (await admin(rt, "limits/scopes/gateway?key=m-3")).body;
      return v.running === 3 && v.queued === 3 ? v : undefined;
    });
    expect(view).toMatchObject({ scope: "gateway", limit_key: "m-3", effective: { concurrency: 3 } });
    gateway.chargeMs = 30;
    await rt.restart();
    for (const { body } of sent) {
      const result = await eventually(async () => {
        const r = await rt.get(`/restate/invocation/${body.invocationId}/output`);
        return r.status === 200 ? r : undefined;
      }, 30_000);
      expect(result.body).toMatchObject({ merchantId: "m-3", chargeId: expect.stringMatching(/^ch_m-3-q-/) });
    }
    expect(gateway.maxInFlight.get("m-3")).toBe(GATEWAY_CONCURRENCY);
    expect(gateway.refused).toEqual([]);
  });

  it("the gateway is not callable from ingress: every charge goes through checkout with its merchant's key", async () => {
    const direct = await rt.post("/gateway/charge", { merchantId: "m-1", paymentId: "x", amount: 1 });
    expect(direct.status).toBe(404);
    expect((await pay("", "p")).status).toBe(400);
  });
});
