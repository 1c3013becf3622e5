/**
 * Issue 14: a call's delivery may be held open up to CALL_ANSWER_WAIT_MS for its answer.
 * A later row to the same owner (a send after a call that was not awaited) must not travel
 * beside it on another stub, where nothing keeps it behind the call; rows to other owners
 * do not wait.
 */
import { expect, it } from "vitest";
import { Outbox } from "../../src/durable/outbox.js";
import type { Store } from "../../src/durable/store.js";
import type { Delivery } from "../../src/engine/messages.js";

type Row = { seq: number; owner: string; delivery: Delivery; attempts: number; nextAt: number };

class FakeOutboxStore {
  rows: Row[] = [];
  #seq = 0;
  enqueue(owner: string, id: string, now = 0): void {
    this.rows.push({ seq: ++this.#seq, owner, attempts: 0, nextAt: now, delivery: { kind: "cancel", owner, invocationId: id } });
  }
  dueOutbox = (now: number): Row[] => this.rows.filter((r) => r.nextAt <= now);
  deleteOutbox = (seqs: number[]): void => void (this.rows = this.rows.filter((r) => !seqs.includes(r.seq)));
  delayOutbox = (seqs: number[], at: number, attempted: boolean): void => {
    for (const r of this.rows) if (seqs.includes(r.seq)) Object.assign(r, { nextAt: at, attempts: r.attempts + (attempted ? 1 : 0) });
  };
}

/** A namespace whose objects record each delivery RPC and answer when the test says so. */
function heldNamespace() {
  const sent: { owner: string; ids: string[]; answer: () => void }[] = [];
  const namespace = {
    idFromName: (name: string) => name,
    get: (owner: string) => ({
      deliver: (deliveries: Delivery[]) =>
        new Promise<undefined>((resolve) => sent.push({ owner, ids: deliveries.map((d) => (d.kind === "cancel" ? d.invocationId : "")), answer: () => resolve(undefined) })),
    }),
  } as unknown as DurableObjectNamespace;
  return { namespace, sent };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

it("issue 14: an owner's later delivery waits for the one on its way; other owners' go at once", async () => {
  const store = new FakeOutboxStore();
  const { namespace, sent } = heldNamespace();
  const outbox = new Outbox(store as unknown as Store, namespace, (owner) => owner, () => 0, async () => undefined, () => {}, () => {});

  store.enqueue("k", "call");
  const first = outbox.flush();
  store.enqueue("k", "send");
  store.enqueue("other", "x");
  const second = outbox.flush();
  await settle();
  expect(sent.map((s) => [s.owner, s.ids])).toEqual([["k", ["call"]], ["other", ["x"]]]);

  sent[0]!.answer(); // the call's response: only now does the send to the same key leave
  await settle();
  expect(sent.map((s) => [s.owner, s.ids])).toEqual([["k", ["call"]], ["other", ["x"]], ["k", ["send"]]]);
  for (const s of sent.slice(1)) s.answer();
  await Promise.all([first, second]);
  expect(store.rows).toEqual([]);
});

it("a delivery that failed is not overtaken: the owner's later rows wait for its retry and travel behind it", async () => {
  const store = new FakeOutboxStore();
  let now = 1_000;
  const sent: { owner: string; ids: string[] }[] = [];
  let failNext = true;
  const namespace = {
    idFromName: (name: string) => name,
    get: (owner: string) => ({
      deliver: async (deliveries: Delivery[]) => {
        if (owner === "k" && failNext) {
          failNext = false;
          throw new Error("the receiver was restarting");
        }
        sent.push({ owner, ids: deliveries.map((d) => (d.kind === "cancel" ? d.invocationId : "")) });
      },
    }),
  } as unknown as DurableObjectNamespace;
  const alarms: number[] = [];
  const outbox = new Outbox(store as unknown as Store, namespace, (owner) => owner, () => now, async () => undefined, (at) => void alarms.push(at), () => {});
  const warn = console.warn;
  console.warn = () => {};
  try {
    store.enqueue("k", "first", now);
    await outbox.flush(); // fails: retried at the back-off
    expect(alarms.length).toBe(1);
    store.enqueue("k", "second", now);
    store.enqueue("other", "x", now);
    await outbox.flush();
    expect(sent).toEqual([{ owner: "other", ids: ["x"] }]); // before the fix: "second" left here, ahead of "first"
    expect(store.dueOutbox(now)).toEqual([]); // the held row is stored as due at the retry: no alarm spins on it
    now = alarms[0]!;
    await outbox.flush();
    expect(sent.slice(1)).toEqual([{ owner: "k", ids: ["first", "second"] }]);
    expect(store.rows).toEqual([]);
  } finally {
    console.warn = warn;
  }
});
