/**
 * The subscription state machine on the real runtime (workerd): the full
 * lifecycle, refused transitions (409 naming the state and what it allows),
 * and lazy trial expiry driven by the object's virtual clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerdRuntime } from "../support/runtime.js";

const DAY_MS = 86_400_000;

describe("examples: subscription", () => {
  let rt: WorkerdRuntime;
  beforeAll(async () => {
    rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/examples-worker.ts" });
  });
  afterAll(() => rt?.dispose());

  const call = (id: string, handler: string, body?: unknown) => rt.post(`/subscription/${id}/${handler}`, body);
  const advance = async (id: string, ms: number) => {
    const res = await rt.fetch(`/__test/advance?owner=${encodeURIComponent(`o:subscription:${id}`)}&ms=${ms}`);
    expect(res.status).toBe(200);
  };
  /** The state as stored, read through the admin API (not through a handler). */
  const stored = async (id: string) => {
    const res = await rt.get(`/restate/admin/objects/subscription/${id}/state`, { authorization: "Bearer test-token" });
    expect(res.status).toBe(200);
    const entry = (res.body.state as { key: string; value_utf8: string }[]).find((e) => e.key === "subscription");
    return JSON.parse(entry!.value_utf8);
  };
  const events = (body: { history: { event: string; from: string; to: string }[] }) => body.history.map((h) => `${h.from}-${h.event}->${h.to}`);

  it("goes through its whole lifecycle and records every transition", async () => {
    expect((await call("sub-1", "status")).body).toEqual({ id: "sub-1", status: "none", history: [] });

    const started = await call("sub-1", "start", "pro");
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ status: "trial", plan: "pro" });
    expect(started.body.trialEndsAt - started.body.history[0].at).toBe(14 * DAY_MS);

    expect((await call("sub-1", "activate", "pay_1")).body).toMatchObject({ status: "active", paymentRef: "pay_1" });
    expect((await call("sub-1", "paymentFailed")).body.status).toBe("past_due");
    expect((await call("sub-1", "activate", "pay_2")).body).toMatchObject({ status: "active", paymentRef: "pay_2" });
    expect((await call("sub-1", "cancel", "too expensive")).body).toMatchObject({ status: "cancelled", cancelReason: "too expensive" });

    const status = (await call("sub-1", "status")).body;
    expect(events(status)).toEqual([
      "none-start->trial",
      "trial-activate->active",
      "active-paymentFailed->past_due",
      "past_due-activate->active",
      "active-cancel->cancelled",
    ]);
    const times = status.history.map((h: { at: number }) => h.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("refuses an invalid transition with 409, naming the state and the allowed events", async () => {
    const early = await call("sub-2", "activate", "pay_1");
    expect(early.status).toBe(409);
    expect(early.body.message).toBe("cannot activate subscription 'sub-2': it is 'none'; allowed from 'none': start");

    await call("sub-2", "start", "basic");
    const wrong = await call("sub-2", "paymentFailed");
    expect(wrong.status).toBe(409);
    expect(wrong.body.message).toBe("cannot paymentFailed subscription 'sub-2': it is 'trial'; allowed from 'trial': activate, cancel");

    await call("sub-2", "cancel");
    const final = await call("sub-2", "start", "pro");
    expect(final.status).toBe(409);
    expect(final.body.message).toContain("'cancelled' is final");
    // Refused events leave no trace.
    expect(events((await call("sub-2", "status")).body)).toEqual(["none-start->trial", "trial-cancel->cancelled"]);
  });

  it("rejects bad input with 400", async () => {
    const res = await call("sub-3", "start", 42);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("the plan must be a non-empty JSON string");
  });

  it("expires an unpaid trial lazily, using the object's clock", async () => {
    const started = (await call("sub-4", "start", "pro")).body;

    await advance("sub-4", 13 * DAY_MS);
    expect((await call("sub-4", "status")).body.status).toBe("trial");

    await advance("sub-4", 2 * DAY_MS);
    const lapsed = (await call("sub-4", "status")).body;
    expect(lapsed.status).toBe("past_due");
    expect(lapsed.history.at(-1)).toMatchObject({ event: "trialExpired", from: "trial", to: "past_due", at: started.trialEndsAt });

    // `status` is shared: it reports the expiry but cannot store it.
    expect((await stored("sub-4")).status).toBe("trial");

    // An exclusive call stores the expiry, even when its own event is refused.
    const refused = await call("sub-4", "paymentFailed");
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain("it is 'past_due'; allowed from 'past_due': activate, cancel");
    expect(await stored("sub-4")).toEqual(lapsed);

    const paid = (await call("sub-4", "activate", "pay_late")).body;
    expect(paid.status).toBe("active");
    expect(events(paid)).toEqual(["none-start->trial", "trial-trialExpired->past_due", "past_due-activate->active"]);
  });

  it("keeps a trial that was paid in time active after the trial length passes", async () => {
    await call("sub-5", "start", "basic");
    await call("sub-5", "activate", "pay_1");
    await advance("sub-5", 30 * DAY_MS);
    expect((await call("sub-5", "status")).body.status).toBe("active");
  });
});
