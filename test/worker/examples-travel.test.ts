/**
 * The travel saga on the real runtime (workerd): the happy path, a refused
 * payment that cancels the car then the flight, and restarts in the middle
 * of the bookings and of the compensations. The probe counts each step and
 * records their order; a gate holds a step while the runtime is killed.
 */
import { describe, expect, it } from "vitest";
import { WorkerdRuntime, useRuntimeWith } from "../support/runtime.js";
import { Probe } from "../support/probe.js";

describe("examples: travel saga", () => {
  let rt: WorkerdRuntime;
  let probe: Probe;
  useRuntimeWith("test/worker/fixtures/examples3-worker.ts", "PROBE_URL", () => Probe.start(), (r, s) => ((rt = r), (probe = s)));

  const booking = async (kind: "flights" | "cars", tripId: string) => (await rt.post(`/${kind}/${tripId}/get`)).body;
  /** The steps of one trip, in the order they first ran. */
  const steps = (tripId: string) => [...probe.hits.keys()].filter((k) => k.startsWith(`${tripId}-`)).map((k) => k.slice(tripId.length + 1));

  it("books the flight, then the car, then pays", async () => {
    const res = await rt.post("/trip/book", { tripId: "t-1" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tripId: "t-1", flight: expect.stringMatching(/^FL-/), car: expect.stringMatching(/^CAR-/), payment: expect.stringMatching(/^PAY-/) });
    expect(await booking("flights", "t-1")).toEqual({ confirmation: res.body.flight, status: "reserved" });
    expect(await booking("cars", "t-1")).toEqual({ confirmation: res.body.car, status: "reserved" });
    expect(steps("t-1")).toEqual(["reserve-flights", "reserve-cars", "pay"]);
  });

  it("a refused payment cancels the car, then the flight, and the caller gets 402", async () => {
    const res = await rt.post("/trip/book", { tripId: "t-2", failPayment: true });
    expect(res.status).toBe(402);
    expect(res.body.message).toBe("payment for trip 't-2' refused: card declined");
    expect(await booking("flights", "t-2")).toMatchObject({ status: "cancelled" });
    expect(await booking("cars", "t-2")).toMatchObject({ status: "cancelled" });
    expect(steps("t-2")).toEqual(["reserve-flights", "reserve-cars", "pay", "cancel-cars", "cancel-flights"]);
    expect(steps("t-2").map((s) => probe.count(`t-2-${s}`))).toEqual([1, 1, 1, 1, 1]);
  });

  it("a restart in the middle of the bookings: finished steps are not redone; the trip completes", async () => {
    probe.close("t-3-reserve-cars");
    const pending = rt.post("/trip/book", { tripId: "t-3" }, { "idempotency-key": "trip-t-3" }).catch(() => undefined);
    await probe.waitForHits("t-3-reserve-cars", 1);
    await rt.restart(); // the flight is booked; the car reservation is in flight
    await pending;
    probe.open("t-3-reserve-cars");

    const res = await rt.get("/restate/invocation/trip/book/trip-t-3/attach");
    expect(res.status).toBe(200);
    expect(await booking("flights", "t-3")).toEqual({ confirmation: res.body.flight, status: "reserved" });
    expect(await booking("cars", "t-3")).toEqual({ confirmation: res.body.car, status: "reserved" });
    expect(probe.count("t-3-reserve-flights")).toBe(1);
    expect(probe.count("t-3-reserve-cars")).toBe(2); // killed mid-step once, then finished
    expect(probe.count("t-3-pay")).toBe(1);
  });

  it("a restart in the middle of the compensations: they finish, each once, and the caller still gets 402", async () => {
    probe.close("t-4-cancel-flights");
    const pending = rt.post("/trip/book", { tripId: "t-4", failPayment: true }, { "idempotency-key": "trip-t-4" }).catch(() => undefined);
    await probe.waitForHits("t-4-cancel-flights", 1);
    await rt.restart(); // the car is cancelled; the flight's cancellation is in flight
    await pending;
    probe.open("t-4-cancel-flights");

    const res = await rt.get("/restate/invocation/trip/book/trip-t-4/attach");
    expect(res).toMatchObject({ status: 402, body: { message: "payment for trip 't-4' refused: card declined" } });
    expect(await booking("flights", "t-4")).toMatchObject({ status: "cancelled" });
    expect(await booking("cars", "t-4")).toMatchObject({ status: "cancelled" });
    expect(steps("t-4").map((s) => [s, probe.count(`t-4-${s}`)])).toEqual([
      ["reserve-flights", 1],
      ["reserve-cars", 1],
      ["pay", 1],
      ["cancel-cars", 1],
      ["cancel-flights", 2],
    ]);
  });
});
