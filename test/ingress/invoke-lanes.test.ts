/**
 * Issue 14, ingress coalescing (invoke-lanes.ts), in Node against a scripted object: a call
 * alone is a plain invoke; calls of one key that arrive while one is in flight go together as
 * one `invokeMany`, batches one after another in arrival order, each member with its own
 * answer (its result, its error, or `pending`, which only that member attaches for).
 */
import { describe, expect, test } from "vitest";
import { InvokeLanes, MAX_BATCH_MEMBERS } from "../../src/ingress/invoke-lanes.js";
import type { BatchAnswer, InvocationResult, InvokeRequest, ObjectRpc, OutputLookup } from "../../src/durable/protocol.js";

const request = (owner: string, n: number): InvokeRequest => ({ owner, invocationId: `inv-${owner}-${n}`, target: { service: "counter", handler: "add", key: owner }, input: new Uint8Array([n]), headers: {}, invokedBy: "ingress" });
const result = (req: InvokeRequest): InvocationResult => ({ invocationId: req.invocationId, ok: true, value: req.input });

interface Deferred<T> { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void }
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
const turn = () => new Promise((r) => setTimeout(r, 0));

/** An object whose RPCs wait until the test answers them. */
function scriptedObject() {
  const invokes: { req: InvokeRequest; answer: Deferred<InvocationResult> }[] = [];
  const batches: { reqs: InvokeRequest[]; answer: Deferred<BatchAnswer[]> }[] = [];
  const attaches: string[] = [];
  const rpc = {
    invoke: (req: InvokeRequest) => { const answer = deferred<InvocationResult>(); invokes.push({ req, answer }); return answer.promise; },
    invokeMany: (reqs: InvokeRequest[]) => { const answer = deferred<BatchAnswer[]>(); batches.push({ reqs, answer }); return answer.promise; },
    attach: async (_owner: string, id: string): Promise<OutputLookup> => { attaches.push(id); return { state: "done", result: { invocationId: id, ok: true, value: new Uint8Array([99]) } }; },
  } as unknown as ObjectRpc;
  return { invokes, batches, attaches, caller: { open: () => rpc } };
}

describe("issue 14: ingress coalescing", () => {
  test("a call alone is a plain invoke; calls arriving while it is in flight share one invokeMany, then the next batch, in arrival order", async () => {
    const lanes = new InvokeLanes();
    const object = scriptedObject();
    const reqs = Array.from({ length: 6 }, (_, i) => request("o:k", i));
    const answers = [lanes.invoke(object.caller, reqs[0]!), lanes.invoke(object.caller, reqs[1]!)];
    await turn();
    expect(object.invokes.map((c) => c.req)).toEqual([reqs[0]]);
    expect(object.batches.map((b) => b.reqs)).toEqual([[reqs[1]]]);
    // Three more arrive while the first batch is in flight: they wait, and go together after it.
    answers.push(...reqs.slice(2, 5).map((r) => lanes.invoke(object.caller, r)));
    await turn();
    expect(object.batches).toHaveLength(1);
    object.batches[0]!.answer.resolve([{ result: result(reqs[1]!) }]);
    await turn();
    expect(object.batches.map((b) => b.reqs)).toEqual([[reqs[1]], reqs.slice(2, 5)]);
    object.batches[1]!.answer.resolve(reqs.slice(2, 5).map((r) => ({ result: result(r) })));
    object.invokes[0]!.answer.resolve(result(reqs[0]!));
    expect((await Promise.all(answers)).map((a) => a.invocationId)).toEqual(reqs.slice(0, 5).map((r) => r.invocationId));
    // Nothing in flight any more: the next call is alone again.
    void lanes.invoke(object.caller, reqs[5]!);
    await turn();
    expect(object.invokes.map((c) => c.req)).toEqual([reqs[0], reqs[5]]);
  });

  test("each member gets its own answer: a pending one attaches alone, a failed one fails alone", async () => {
    const lanes = new InvokeLanes();
    const object = scriptedObject();
    const reqs = Array.from({ length: 4 }, (_, i) => request("o:k", i));
    void lanes.invoke(object.caller, reqs[0]!);
    const answers = reqs.slice(1).map((r) => lanes.invoke(object.caller, r).then((a) => a.invocationId, (e: Error) => `error: ${e.message}`));
    await turn();
    object.batches[0]!.answer.resolve([{ result: result(reqs[1]!) }]);
    await turn();
    object.batches[1]!.answer.resolve([{ pending: true }, { failed: "the handler's store refused it" }]);
    expect(await Promise.all(answers)).toEqual([reqs[1]!.invocationId, reqs[2]!.invocationId, "error: the handler's store refused it"]);
    expect(object.attaches).toEqual([reqs[2]!.invocationId]);
  });

  test("a batch whose RPC fails fails its members only; the next batch still goes", async () => {
    const lanes = new InvokeLanes();
    const object = scriptedObject();
    const reqs = Array.from({ length: 4 }, (_, i) => request("o:k", i));
    void lanes.invoke(object.caller, reqs[0]!);
    const first = lanes.invoke(object.caller, reqs[1]!).catch((e: Error) => e.message);
    await turn();
    const later = reqs.slice(2).map((r) => lanes.invoke(object.caller, r).then((a) => a.invocationId));
    object.batches[0]!.answer.reject(new Error("Durable Object reset"));
    await turn();
    object.batches[1]!.answer.resolve(reqs.slice(2).map((r) => ({ result: result(r) })));
    expect(await first).toBe("Durable Object reset");
    expect(await Promise.all(later)).toEqual(reqs.slice(2).map((r) => r.invocationId));
  });

  test("keys do not wait for each other, and a batch holds at most MAX_BATCH_MEMBERS", async () => {
    const lanes = new InvokeLanes();
    const object = scriptedObject();
    void lanes.invoke(object.caller, request("o:a", 0));
    void lanes.invoke(object.caller, request("o:b", 0));
    await turn();
    expect(object.invokes.map((c) => c.req.owner)).toEqual(["o:a", "o:b"]);
    void lanes.invoke(object.caller, request("o:a", 1));
    for (let i = 2; i < MAX_BATCH_MEMBERS + 4; i++) void lanes.invoke(object.caller, request("o:a", i));
    await turn();
    object.batches[0]!.answer.resolve([{ pending: true }]);
    await turn();
    expect(object.batches.map((b) => b.reqs.length)).toEqual([1, MAX_BATCH_MEMBERS]);
  });
});
