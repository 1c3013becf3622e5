/**
 * adversary: an owner's outbox rows travel to it in one RPC, and workerd refuses an RPC
 * whose arguments serialize to more than 32 MiB. A handler that sent 36 one-way messages of
 * 1 MB each to one key (each well within the 2 MB a value may have) left them in one
 * batch of ~37 MB: refused on every retry, forever (backing off to 30 s), so none of them
 * ran, nor anything sent to that key after them (a later row waits behind a failed one).
 * The user saw the handler succeed and its sends accepted, and nothing happen.
 * The same for answers: 36 calls at once to one key, each answering 1 MB, were answered
 * in one RPC response of ~35 MB, refused as well; the caller waited forever.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { WorkerdRuntime, eventually } from "../support/runtime.js";

let rt: WorkerdRuntime;
beforeAll(async () => {
  rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/fanout-worker.ts" });
});
afterAll(() => rt?.dispose());

test("adversary: sends to one key whose rows add up to more than an RPC carries (32 MiB) are all delivered", async () => {
  const sent = await rt.post("/fanout/send", { key: "big", n: 36, bytes: 1_000_000 });
  expect(sent).toMatchObject({ status: 200, body: 36 });
  await eventually(async () => (await rt.post("/sink/big/count")).body === 36, 60_000, 250);
}, 120_000);

test("adversary: calls to one key whose answers add up to more than an RPC carries are all answered", async () => {
  const answered = await rt.post("/fanout/call", { key: "answers", n: 36, bytes: 1_000_000 });
  expect(answered).toMatchObject({ status: 200, body: 36_000_000 });
}, 120_000);
