/**
 * Issue #10 (defect 5) on the real runtime: an oversized value is a clear
 * terminal error at once, never an invocation left running with its key's lock
 * held, nor a write retried forever.
 */
import { expect, test } from "vitest";
import { admin, useRuntimeWithProbe, type WorkerdRuntime } from "../support/runtime.js";
import { MAX_VALUE_BYTES } from "../../src/engine/limits.js";

let rt: WorkerdRuntime;
useRuntimeWithProbe("test/worker/fixtures/limits-worker.ts", (r) => (rt = r));

test("issue #10: an 800 KB string through a counter's add twice: the second answers a terminal 413 at once and the key keeps serving", async () => {
  const chunk = "x".repeat(800_000);
  const first = await rt.postAlone("/sized/big/add", JSON.stringify(chunk));
  expect(first.status).toBe(200);
  const second = await rt.post("/sized/big/add", chunk);
  expect(second.status).toBe(413);
  // "0xxx…" + "xxx…" as JSON: 1,600,001 characters and the quotes.
  expect(second.body.message).toMatch(/^the state value 'count' is 1600003 bytes, over the limit of 1048576 bytes \(MAX_VALUE_BYTES\)/);
  const id = second.headers.get("x-restate-id")!;
  expect((await admin(rt, `invocations/${id}`)).body).toMatchObject({ status: "completed", retry_count: 0, completion_result: "failure" });
  // The key is free: the next call runs (and sees the first call's state).
  const next = await rt.post("/sized/big/add", "y");
  expect(next.status).toBe(200);
  expect(next.body).toHaveLength(800_002);
});

test("issue #10: a state value over SQLite's limit fails once, terminally, instead of being retried", async () => {
  const res = await rt.post("/sized/huge/setBig", 3_000_000);
  expect(res.status).toBe(413);
  expect(res.body.message).toContain(`over the limit of ${MAX_VALUE_BYTES} bytes`);
  const id = res.headers.get("x-restate-id")!;
  expect((await admin(rt, `invocations/${id}`)).body).toMatchObject({ status: "completed", retry_count: 0 });
  expect((await rt.post("/sized/huge/setBig", 10)).status).toBe(200);
});

test("issue #10: a call whose headers are too large to store is refused by the callee with a 413 naming the limit", async () => {
  const res = await rt.post("/sized/caller/callWithHeader", 40_000);
  expect(res.status).toBe(200);
  expect(res.body).toMatch(/^refused: the invocation's envelope \(its headers, key and idempotency key\) is \d+ bytes, over the limit of 32768 bytes \(MAX_ENVELOPE_BYTES\)/);
  expect((await rt.post("/sized/caller/callWithHeader", 10)).body).toBe(1);
});
