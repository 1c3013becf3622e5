/**
 * The reservation example on the real runtime (workerd): an `idempotency-key`
 * makes a retried reservation — sequential, concurrent, or after a restart —
 * the same invocation: booked once, the identical response every time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerdRuntime } from "../support/runtime.js";

describe("examples: reservation", () => {
  let rt: WorkerdRuntime;
  beforeAll(async () => {
    rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/examples3-worker.ts" });
  });
  afterAll(() => rt?.dispose());

  const restock = (product: string, n: number) => rt.post(`/product/${product}/restock`, n);
  const stock = async (product: string) => (await rt.post(`/product/${product}/stock`)).body as number;
  const reserve = (product: string, reservationId: string, quantity: number, key?: string) =>
    rt.post(`/product/${product}/reserve`, { reservationId, quantity }, key ? { "idempotency-key": key } : {});

  it("books, decrements the stock, and refuses what the stock cannot cover with 409", async () => {
    expect((await restock("lamp", 5)).body).toBe(5);
    const booked = await reserve("lamp", "r-1", 3);
    expect(booked).toMatchObject({ status: 200, body: { reservationId: "r-1", productId: "lamp", quantity: 3, remaining: 2 } });
    expect(await stock("lamp")).toBe(2);

    const short = await reserve("lamp", "r-2", 3);
    expect(short.status).toBe(409);
    expect(short.body.message).toBe("cannot reserve 3 of 'lamp': only 2 left");
    expect(await stock("lamp")).toBe(2);
    expect((await rt.post("/product/lamp/reservation", "r-1")).body).toEqual(booked.body);
    expect((await rt.post("/product/lamp/reservation", "r-2")).body).toBeNull();
  });

  it("a retry with the same idempotency key returns the first response and books once", async () => {
    await restock("desk", 10);
    const first = await reserve("desk", "r-10", 4, "res-r-10");
    const retry = await reserve("desk", "r-10", 4, "res-r-10");
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("x-restate-id")).toBe(first.headers.get("x-restate-id"));
    expect(await stock("desk")).toBe(6);

    // Without the key the retry is a new request, which the handler refuses instead of booking twice.
    const unkeyed = await reserve("desk", "r-10", 4);
    expect(unkeyed.status).toBe(409);
    expect(unkeyed.body.message).toContain("'r-10' of 'desk' is already booked");
    expect(await stock("desk")).toBe(6);
  });

  it("concurrent duplicates latch onto one invocation and all get its response", async () => {
    await restock("chair", 30);
    // Other reservations queue on the same key, so most duplicates arrive while theirs is still pending.
    const others = Array.from({ length: 20 }, (_, i) => reserve("chair", `c-${i}`, 1, `res-c-${i}`));
    const responses = await Promise.all(Array.from({ length: 10 }, () => reserve("chair", "r-20", 2, "res-r-20")));
    await Promise.all(others);
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(responses.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(new Set(responses.map((r) => r.headers.get("x-restate-id"))).size).toBe(1);
    expect(responses[0]!.body).toMatchObject({ reservationId: "r-20", quantity: 2 });
    expect(await stock("chair")).toBe(30 - 20 - 2);
  });

  it("a retry after a restart gets the stored response", async () => {
    await restock("shelf", 3);
    const first = await reserve("shelf", "r-30", 3, "res-r-30");
    expect(first.body.remaining).toBe(0);
    await rt.restart();
    const retry = await reserve("shelf", "r-30", 3, "res-r-30");
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("x-restate-id")).toBe(first.headers.get("x-restate-id"));
    expect(await stock("shelf")).toBe(0);
    // A failure is stored the same way: the same key keeps answering the same 409.
    const refused = await reserve("shelf", "r-31", 1, "res-r-31");
    await rt.restart();
    expect(await reserve("shelf", "r-31", 1, "res-r-31")).toMatchObject({ status: 409, body: refused.body });
  });

  it("concurrent reservations of different ids never oversell", async () => {
    await restock("vase", 10);
    const responses = await Promise.all(Array.from({ length: 25 }, (_, i) => reserve("vase", `v-${i}`, 1, `res-v-${i}`)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(10);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(15);
    expect(new Set(responses.filter((r) => r.status === 200).map((r) => r.body.remaining))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(await stock("vase")).toBe(0);
  });

  it("rejects bad input with 400", async () => {
    const res = await reserve("lamp", "r-bad", 0);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe("quantity must be a positive integer, got 0");
  });
});
