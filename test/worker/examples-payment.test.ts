/**
 * The payment example on the real runtime (workerd), against the fake provider
 * served from Node (fixtures/payment-provider.ts) so the test can see what the
 * provider received. The test plays the provider's webhook for async charges.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, WorkerdRuntime } from "../support/runtime.js";
import { Probe } from "../support/probe.js";
import { PaymentProvider } from "./fixtures/payment-provider.js";
import { chargeKey } from "../../examples/payment/payment.js";

describe("examples: payment", () => {
  let rt: WorkerdRuntime;
  let provider: PaymentProvider;
  let probe: Probe;
  beforeAll(async () => {
    provider = await PaymentProvider.start();
    probe = await Probe.start();
    rt = await WorkerdRuntime.start({
      entry: "test/worker/fixtures/examples3-worker.ts",
      bindings: { PAYMENT_PROVIDER_URL: provider.url, PROBE_URL: probe.url },
    });
  });
  afterAll(async () => {
    await rt?.dispose();
    await provider?.stop();
    await probe?.stop();
  });

  const pay = (body: object, key?: string) => rt.post("/payments/pay", body, key ? { "idempotency-key": key } : {});
  /** The webhook (awakeable id) the provider was given for a payment, once the charge request arrived. */
  const webhookOf = (paymentId: string) => eventually(async () => provider.requestsFor(chargeKey(paymentId))[0]?.body.webhook);
  const callWebhook = (id: string, event: object) =>
    rt.fetch(`/restate/awakeables/${id}/resolve`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(event) });

  it("sync: the provider settles at once, charged once under the payment's key", async () => {
    const res = await pay({ paymentId: "p-1", amount: 1200, mode: "sync" });
    expect(res).toMatchObject({ status: 200, body: { paymentId: "p-1", chargeId: "ch_payment-p-1", amount: 1200, status: "paid", settledBy: "response" } });
    expect(provider.requestsFor("payment-p-1")).toHaveLength(1);
  });

  it("declined at once: 402, no webhook wait", async () => {
    const res = await pay({ paymentId: "p-2", amount: 1_000_000 });
    expect(res.status).toBe(402);
    expect(res.body.message).toBe("payment 'p-2' declined: amount over the card limit of 100000");
  });

  it("async: pending until the provider calls the webhook, then paid", async () => {
    const pending = pay({ paymentId: "p-3", amount: 500, mode: "async" }, "pay-p-3");
    const webhook = await webhookOf("p-3");
    expect(webhook).toMatch(/^sign_1/);
    expect((await rt.get("/restate/invocation/payments/pay/pay-p-3/output")).status).toBe(470); // still waiting

    expect((await callWebhook(webhook, { status: "paid" })).status).toBe(202);
    expect(await pending).toMatchObject({ status: 200, body: { paymentId: "p-3", status: "paid", settledBy: "webhook" } });
    // A duplicate webhook (providers retry them) is accepted and changes nothing.
    expect((await callWebhook(webhook, { status: "failed", reason: "late duplicate" })).status).toBe(202);
    expect(await rt.get("/restate/invocation/payments/pay/pay-p-3/output")).toMatchObject({ status: 200, body: { status: "paid" } });
    expect(provider.requestsFor("payment-p-3")).toHaveLength(1);
  });

  it("async: a failure reported by the webhook fails the payment with 402", async () => {
    const pending = pay({ paymentId: "p-4", amount: 500, mode: "async" });
    await callWebhook(await webhookOf("p-4"), { status: "failed", reason: "3-D Secure abandoned" });
    expect(await pending).toMatchObject({ status: 402, body: { message: "payment 'p-4' failed: 3-D Secure abandoned" } });
  });

  it("async: the handler waits across a restart; the webhook wakes it", async () => {
    const sent = await rt.post("/payments/pay/send", { paymentId: "p-5", amount: 700, mode: "async" }, { "idempotency-key": "pay-p-5" });
    expect(sent.status).toBe(202);
    const webhook = await webhookOf("p-5");
    await eventually(async () => (await rt.get("/restate/invocation/payments/pay/pay-p-5/output")).status === 470);
    await rt.restart();
    expect((await callWebhook(webhook, { status: "paid" })).status).toBe(202);
    expect(await rt.get("/restate/invocation/payments/pay/pay-p-5/attach")).toMatchObject({ status: 200, body: { paymentId: "p-5", settledBy: "webhook" } });
    expect(provider.requestsFor("payment-p-5")).toHaveLength(1);
  });

  it("a crash after the provider charged but before the step was journaled: retried with the same key, charged once", async () => {
    provider.hold();
    const pending = pay({ paymentId: "p-6", amount: 900 }, "pay-p-6").catch(() => undefined);
    await eventually(async () => provider.requestsFor("payment-p-6").length === 1);
    await rt.restart(); // the provider has charged; the runtime never saw the answer
    await pending;
    provider.release();

    const res = await rt.get("/restate/invocation/payments/pay/pay-p-6/attach"); // wakes the invocation, which replays
    expect(res).toMatchObject({ status: 200, body: { paymentId: "p-6", chargeId: "ch_payment-p-6", status: "paid" } });
    const requests = provider.requestsFor("payment-p-6");
    expect(requests).toHaveLength(2); // the step ran again after the crash...
    expect(requests[1]!.body).toEqual(requests[0]!.body); // ...with the same key and the same webhook
    expect([...provider.charges.keys()].filter((k) => k === "payment-p-6")).toHaveLength(1); // ...and the provider charged once
    expect(probe.count("p-6-charge")).toBe(2);
  });

  it("the same request with the same idempotency key is one invocation: one provider request, one answer", async () => {
    const [a, b] = await Promise.all([pay({ paymentId: "p-7", amount: 300 }, "pay-p-7"), pay({ paymentId: "p-7", amount: 300 }, "pay-p-7")]);
    const c = await pay({ paymentId: "p-7", amount: 300 }, "pay-p-7");
    expect(a.body).toEqual(b.body);
    expect(c.body).toEqual(a.body);
    expect(c.headers.get("x-restate-id")).toBe(a.headers.get("x-restate-id"));
    expect(provider.requestsFor("payment-p-7")).toHaveLength(1);
  });

  it("the Worker-hosted fake provider answers at /fake-provider/charges", async () => {
    const charge = (mode: string, amount = 100) =>
      rt.post("/fake-provider/charges", { amount, mode, webhook: "sign_1x" }, { "idempotency-key": "k-1" });
    expect((await charge("sync")).body).toEqual({ chargeId: "ch_k-1", status: "paid" });
    expect((await charge("async")).body).toEqual({ chargeId: "ch_k-1", status: "pending", webhook: "sign_1x" });
    expect((await charge("sync", 10_000_000)).body).toMatchObject({ status: "declined" });
    expect((await rt.post("/fake-provider/charges", { amount: 1, mode: "sync", webhook: "w" })).status).toBe(400);
  });

  it("rejects bad input with 400 before calling the provider", async () => {
    const res = await pay({ paymentId: "p-8", amount: -5 });
    expect(res.status).toBe(400);
    expect(provider.requestsFor("payment-p-8")).toHaveLength(0);
  });
});
