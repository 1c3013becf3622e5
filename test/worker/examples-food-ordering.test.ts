/**
 * The food-ordering example on the real runtime (workerd), with the order
 * object's virtual clock: the delayed `prepare` starts only when the clock
 * passes the delivery delay; the kitchen answers through the awakeable over
 * HTTP (the test plays the cook); the payment runs once throughout.
 */
import { describe, expect, it } from "vitest";
import { eventually, WorkerdRuntime, useRuntimeWith } from "../support/runtime.js";
import { Probe } from "../support/probe.js";

const HOUR = 3_600_000;

describe("examples: food ordering", () => {
  let rt: WorkerdRuntime;
  let probe: Probe;
  useRuntimeWith("test/worker/fixtures/examples3-worker.ts", "PROBE_URL", () => Probe.start(), (r, s) => ((rt = r), (probe = s)));

  const place = (id: string, items: string[], deliveryDelayMs: number) => rt.post(`/order/${id}/place`, { items, deliveryDelayMs });
  const status = async (id: string) => (await rt.post(`/order/${id}/status`)).body;
  const advance = async (id: string, ms: number) => {
    expect((await rt.get(`/__test/advance?owner=${encodeURIComponent(`o:order:${id}`)}&ms=${ms}`)).status).toBe(200);
  };
  /** Waits until the kitchen has the ticket, and returns the awakeable it must answer. */
  const ticketed = (id: string) =>
    eventually(async () => {
      const order = (await status(id)) as { ticket?: string; awakeableId?: string };
      return order.ticket !== undefined && order.awakeableId;
    });
  const answer = (awakeableId: string, action: "resolve" | "reject", body: string) =>
    rt.fetch(`/restate/awakeables/${awakeableId}/${action}`, { method: "POST", headers: { "content-type": "application/json" }, body });

  it("pays, waits until delivery time, waits for the kitchen, then delivers", async () => {
    const placed = await place("o-1", ["pizza", "salad"], HOUR);
    expect(placed.status).toBe(200);
    expect(placed.body).toMatchObject({ orderId: "o-1", status: "scheduled", items: ["pizza", "salad"], payment: expect.stringMatching(/^PAY-/) });

    await advance("o-1", HOUR - 60_000);
    expect((await status("o-1")).status).toBe("scheduled"); // a minute early: nothing happens

    await advance("o-1", 60_000);
    const awakeableId = await ticketed("o-1");
    expect(await status("o-1")).toMatchObject({ status: "preparing", ticket: "T-o-1", awakeableId: expect.stringMatching(/^sign_1/) });

    await rt.restart(); // the order waits, suspended, across a restart
    expect((await answer(awakeableId, "resolve", JSON.stringify({ accepted: true }))).status).toBe(202);
    const delivered = await eventually(async () => {
      const order = await status("o-1");
      return order.status === "delivered" && order;
    });
    expect(delivered).toMatchObject({ payment: placed.body.payment, courier: expect.stringMatching(/^COURIER-/) });
    expect(delivered.timeline.map((t: { status: string }) => t.status)).toEqual(["scheduled", "preparing", "ready", "delivered"]);
    expect(delivered.timeline[1].at - delivered.timeline[0].at).toBeGreaterThanOrEqual(HOUR);

    expect(probe.count("o-1-pay")).toBe(1);
    expect(probe.count("o-1-print-ticket")).toBe(1);
    expect(probe.count("o-1-dispatch-courier")).toBe(1);
    expect(probe.count("o-1-refund")).toBe(0);
  });

  it("a kitchen that declines cancels the order and refunds the payment", async () => {
    const placed = await place("o-2", ["ramen"], 10 * 60_000);
    await advance("o-2", 10 * 60_000);
    const awakeableId = await ticketed("o-2");
    expect((await answer(awakeableId, "reject", "out of noodles")).status).toBe(202);
    const cancelled = await eventually(async () => {
      const order = await status("o-2");
      return order.status === "cancelled" && order;
    });
    expect(cancelled).toMatchObject({ reason: "out of noodles", refund: `REF-${placed.body.payment}` });
    expect(cancelled.courier).toBeUndefined();
    expect(probe.count("o-2-pay")).toBe(1);
    expect(probe.count("o-2-refund")).toBe(1);
  });

  it("a kitchen that never answers: cancelled and refunded when the timeout passes", async () => {
    await place("o-3", ["soup"], 0);
    await ticketed("o-3");
    await advance("o-3", 29 * 60_000);
    expect((await status("o-3")).status).toBe("preparing");
    await advance("o-3", 60_000);
    const cancelled = await eventually(async () => {
      const order = await status("o-3");
      return order.status === "cancelled" && order;
    });
    expect(cancelled.reason).toBe("Timeout occurred");
    expect(probe.count("o-3-refund")).toBe(1);
  });

  it("refuses a second place (409), bad input (400), and prepare from outside", async () => {
    await place("o-4", ["tea"], HOUR);
    expect((await place("o-4", ["tea"], HOUR)).status).toBe(409);
    expect((await place("o-5", [], HOUR)).status).toBe(400);
    expect((await rt.post("/order/o-4/prepare")).status).toBe(404);
    expect(probe.count("o-4-pay")).toBe(1);
  });
});
