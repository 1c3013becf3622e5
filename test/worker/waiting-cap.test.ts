/**
 * hostile "dropped attaches pile up", and issue waitcap2 (session 4's "noticed and left alone"):
 * requests waiting in objects for results are capped, without letting a client that holds one
 * invocation id lock the key. Past a cap an attach, a duplicate or a call is refused at once
 * with Restate's 429 from the ingress and a Retry-After, and a refused call starts nothing:
 * at most MAX_WAITERS_PER_INVOCATION wait for one invocation; requests joining invocations they
 * did not start take at most half of an object's room and of the isolate's (every object of
 * the process here), so new calls still get in. The dropped waiters go when their invocation
 * completes, and later attaches and calls work again. A legitimate workload (64 clients on one
 * hot key, every idempotency key sent twice, as the bench's dup scenario) never sees a 429.
 */
import { expect, test } from "vitest";
import { idempotentInvocationId } from "../../src/engine/addressing.js";
import { DEFAULT_SERVICE_SHARDS } from "../../src/worker.js";
import { MAX_ISOLATE_WAITING_REQUESTS, MAX_WAITERS_PER_INVOCATION, MAX_WAITING_REQUESTS, WAITING_RETRY_AFTER_SECONDS } from "../../src/engine/waiting-room.js";
import { WorkerdRuntime, advance, eventually, useRuntimeWithProbe } from "../support/runtime.js";

let rt: WorkerdRuntime;
useRuntimeWithProbe("test/worker/fixtures/worker.ts", (r) => (rt = r));

const HOUR = 3_600_000;

interface Answer {
  status: number;
  retryAfter: string | null;
  source: string | null;
  body: any;
}

/** Requests that go away later (`drop`), as clients that leave; `answered` holds those answered so far. */
function droppable() {
  const controllers: AbortController[] = [];
  const answered: Answer[] = [];
  return {
    answered,
    fetch(path: string, init: RequestInit = {}): void {
      const controller = new AbortController();
      controllers.push(controller);
      rt.fetch(path, { ...init, signal: controller.signal })
        .then(async (r) => answered.push({ status: r.status, retryAfter: r.headers.get("retry-after"), source: r.headers.get("x-restate-error-source"), body: await r.json() }))
        .catch(() => {}); // dropped
    },
    drop: () => controllers.forEach((c) => c.abort()),
  };
}

/** `count` answers arrived, and a moment later (one more request answered) no more did. */
async function exactly(answered: Answer[], count: number, probe: string): Promise<void> {
  await eventually(async () => answered.length >= count, 60_000);
  await (await rt.fetch(probe)).text();
  expect(answered.length).toBe(count);
}

function expectRefused(answers: Answer[], message: RegExp): void {
  for (const answer of answers) {
    expect(answer.status).toBe(429);
    expect(answer.retryAfter).toBe(String(WAITING_RETRY_AFTER_SECONDS));
    expect(answer.source).toBe("ingress");
    expect(answer.body).toEqual({ code: 429, message: expect.stringMatching(message), source: "ingress" });
  }
}

async function sleeper(key: string, headers: Record<string, string> = {}): Promise<string> {
  const sent = await rt.post(`/counter/${key}/sleepThenAdd/send`, HOUR, headers);
  expect(sent.status).toBe(202);
  return sent.body.invocationId;
}

/** Completes `key`'s sleepers, one after the other (each holds the key's lock), and waits for `last`'s answer. */
async function wakeAll(key: string, sleepers: string[]): Promise<void> {
  for (const id of sleepers) {
    await eventually(async () => {
      await advance(rt, `o:counter:${key}`, HOUR);
      return (await rt.fetch(`/restate/invocation/${id}/output`)).status === 200;
    }, 60_000);
  }
}

test("issue waitcap2: one invocation pins at most MAX_WAITERS_PER_INVOCATION requests (attaches, duplicates); the key still takes calls", { timeout: 120_000 }, async () => {
  const key = "pinned";
  const id = await sleeper(key, { "idempotency-key": "pin" });
  const attach = `/restate/invocation/${id}/attach`;
  const clients = droppable();
  const extra = 50;
  for (let i = 0; i < MAX_WAITERS_PER_INVOCATION + extra; i++) clients.fetch(attach);
  // Duplicates of the idempotent call latch on to it: they count for it too.
  const duplicate = { method: "POST", headers: { "content-type": "application/json", "idempotency-key": "pin" }, body: String(HOUR) };
  for (let i = 0; i < 5; i++) clients.fetch(`/counter/${key}/sleepThenAdd`, duplicate);
  await exactly(clients.answered, extra + 5, attach);
  expectRefused(clients.answered, new RegExp(`too many requests wait for results of invocation '${id}' \\(${MAX_WAITERS_PER_INVOCATION}\\)`));

  // New calls get in: a shared handler answers now; an exclusive one is admitted and waits for the lock.
  expect(await rt.post(`/counter/${key}/get`)).toMatchObject({ status: 200, body: 0 });
  const add = rt.post(`/counter/${key}/add`, 100);
  clients.drop();
  await wakeAll(key, [id]);
  expect(await add).toMatchObject({ status: 200, body: 101 });
  expect((await rt.get(attach)).body).toBe(1);
  // The dropped waiters went with the completion: a long wait is admitted again.
  const second = await sleeper(key);
  const waiting = rt.fetch(`/restate/invocation/${second}/attach`);
  await wakeAll(key, [second]);
  const answered = await waiting;
  expect(answered.status).toBe(200);
  expect(await answered.json()).toBe(102);
});

test("issue waitcap2: requests joining invocations they did not start fill at most half of an object; calls get the rest", { timeout: 120_000 }, async () => {
  const key = "joined";
  const sleepers: string[] = [];
  for (let i = 0; i <= MAX_WAITING_REQUESTS / 2 / MAX_WAITERS_PER_INVOCATION; i++) sleepers.push(await sleeper(key));
  const clients = droppable();
  // The first sleepers' attaches fill the object's joining half; the last one's are refused.
  for (const id of sleepers) for (let i = 0; i < MAX_WAITERS_PER_INVOCATION; i++) clients.fetch(`/restate/invocation/${id}/attach`);
  await exactly(clients.answered, MAX_WAITERS_PER_INVOCATION, `/restate/invocation/${sleepers[0]}/output`);
  expectRefused(clients.answered, new RegExp(`in this object \\(${MAX_WAITING_REQUESTS}\\) for invocations they did not start`));
  expect(await rt.post(`/counter/${key}/get`)).toMatchObject({ status: 200 });
  clients.drop();
  await wakeAll(key, sleepers);
});

test("issue waitcap2: the objects of one isolate share its room: joining requests fill at most half of it, calls still get in", { timeout: 180_000 }, async () => {
  const keys = MAX_ISOLATE_WAITING_REQUESTS / 2 / MAX_WAITERS_PER_INVOCATION + 1;
  const sleepers: string[] = [];
  for (let k = 0; k < keys; k++) sleepers.push(await sleeper(`isolate${k}`));
  const clients = droppable();
  for (const id of sleepers) for (let i = 0; i < MAX_WAITERS_PER_INVOCATION; i++) clients.fetch(`/restate/invocation/${id}/attach`);
  // Each object holds 100 (well inside its own room); the isolate's joining half is full after 25 objects.
  await exactly(clients.answered, MAX_WAITERS_PER_INVOCATION, `/restate/invocation/${sleepers[0]}/output`);
  expectRefused(clients.answered, new RegExp(`in this isolate, across its objects \\(${MAX_ISOLATE_WAITING_REQUESTS}\\) for invocations they did not start`));
  for (let k = 0; k < keys; k += keys - 1) expect(await rt.post(`/counter/isolate${k}/get`)).toMatchObject({ status: 200 });
  clients.drop();
  for (let k = 0; k < keys; k++) await wakeAll(`isolate${k}`, [sleepers[k]!]);
});

test("hostile: calls fill an object's room; the next call is refused at once (429) and never runs; the room is free again after", { timeout: 120_000 }, async () => {
  // Idempotency keys whose calls land on one shard of the longTask service (an hour's sleep each, side by side).
  const kinds = { kindOf: () => "service" as const, serviceShards: DEFAULT_SERVICE_SHARDS };
  const target = { service: "longTask", handler: "run" };
  const shard = idempotentInvocationId(kinds, target, "full-0").owner;
  const keys: string[] = [];
  for (let i = 0; keys.length <= MAX_WAITING_REQUESTS && i < 1_000_000; i++) if (idempotentInvocationId(kinds, target, `full-${i}`).owner === shard) keys.push(`full-${i}`);
  const call = (key: string): RequestInit => ({ method: "POST", headers: { "content-type": "application/json", "idempotency-key": key }, body: JSON.stringify(key) });
  const clients = droppable();
  for (const key of keys.slice(0, MAX_WAITING_REQUESTS)) clients.fetch("/longTask/run", call(key));
  await eventually(async () => (await rt.fetch(`/restate/invocation/longTask/run/${keys[MAX_WAITING_REQUESTS - 1]}/output`)).status === 470, 60_000);
  const last = keys[MAX_WAITING_REQUESTS]!;
  const refused = await rt.fetch("/longTask/run", call(last));
  expectRefused([{ status: refused.status, retryAfter: refused.headers.get("retry-after"), source: refused.headers.get("x-restate-error-source"), body: await refused.json() }], /in this object \(1000\): this one was refused before it started/);
  expect(clients.answered).toEqual([]);
  // It started nothing: its idempotency key is unknown.
  expect((await rt.get(`/restate/invocation/longTask/run/${last}/output`)).status).toBe(404);
  clients.drop();
  expect((await advance(rt, shard, HOUR)).status).toBe(200);
  await eventually(async () => (await rt.fetch(`/restate/invocation/longTask/run/${keys[MAX_WAITING_REQUESTS - 1]}/output`)).status === 200, 60_000);
  // The dropped callers' waiters went with the completions: the call is admitted now.
  const waiting = rt.fetch("/longTask/run", call(last));
  await eventually(async () => (await rt.fetch(`/restate/invocation/longTask/run/${last}/output`)).status === 470);
  await advance(rt, shard, HOUR);
  const answered = await waiting;
  expect([answered.status, await answered.json()]).toEqual([200, "slept"]);
});

test("issue waitcap2: a legitimate workload never sees a 429: 64 clients on one hot key, every idempotency key sent twice", { timeout: 120_000 }, async () => {
  const key = "hot";
  const clients = 64;
  const rounds = 8;
  const statuses = new Map<number, number>();
  const add = async (idempotencyKey: string) => {
    const answer = await rt.post(`/counter/${key}/add`, 1, { "idempotency-key": idempotencyKey });
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    return answer.body as number;
  };
  // All clients at once with one idempotency key: one invocation, 64 requests waiting for it.
  const burst = await Promise.all(Array.from({ length: clients }, () => add("burst")));
  expect(new Set(burst).size).toBe(1);
  // The dup scenario's shape: each add's second copy right away, while the first is in flight.
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let r = 0; r < rounds; r++) {
        const [first, second] = await Promise.all([add(`c${c}-r${r}`), add(`c${c}-r${r}`)]);
        expect(second).toBe(first);
      }
    }),
  );
  expect([...statuses]).toEqual([[200, clients * (1 + 2 * rounds)]]);
  expect((await rt.post(`/counter/${key}/get`)).body).toBe(1 + clients * rounds);
});
