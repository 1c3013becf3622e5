/**
 * Issue #10 (the chaos suite): the checker flags each kind of broken promise
 * and accepts what a crash legitimately leaves (a step re-run in a new process,
 * an unanswered add that may or may not have been applied).
 */
import { describe, expect, test } from "vitest";
import { check, type InvocationView, type Observed, type ViolationKind } from "./check.js";
import { goValue, type Op, type OpKind } from "./ops.js";
import type { Execution } from "./recorder.js";

const T0 = 1_000_000;

function op(kind: OpKind, id: string, extra: Partial<Op> = {}): Op {
  return { id, kind, startedAt: T0, endedAt: T0 + 10, answered: true, requests: 1, acknowledged: 1, problems: [], invocationIds: [`inv_${id}`], ...extra };
}

function runs(...list: [boot: string, at: number][]): Execution[] {
  return list.map(([boot, at]) => ({ boot, at }));
}

/** A run where everything held: one add, one nap, one workflow. */
type Mutable = Observed & {
  executions: Map<string, Execution[]>;
  counters: Map<string, number>;
  invocations: Map<string, InvocationView>;
  workflowOutputs: Map<string, { status: number; body: unknown }>;
};

function healthy(): Mutable {
  const ops = [op("add", "a1", { key: "k0", count: 1 }), op("napSend", "n1", { ms: 1_000 }), op("workflow", "w1", { ms: 1_000 })];
  return {
    ops,
    executions: new Map([
      ["a1", runs(["b1", T0 + 5])],
      ["n1/before", runs(["b1", T0 + 5])],
      ["n1/after", runs(["b1", T0 + 1_010])],
      ["w1/start", runs(["b1", T0 + 5])],
      ["w1/end", runs(["b1", T0 + 1_500])],
    ]),
    counters: new Map([["k0", 1]]),
    invocations: new Map(ops.map((o) => [`inv_${o.id}`, { status: "completed", result: "success" }])),
    unfinished: [],
    workflowOutputs: new Map([["w1", { status: 200, body: goValue(ops[2]!) }]]),
    survivors: [],
    killedAt: [T0 + 100],
    limited: { limit: 5, maxInFlight: new Map([["", 5], ["tenant-a", 3]]) },
  };
}

function kinds(observed: Observed): ViolationKind[] {
  return check(observed).violations.map((v) => v.kind);
}

describe("issue #10: chaos checker", () => {
  test("a run where every promise held has no violation", () => {
    expect(kinds(healthy())).toEqual([]);
  });

  test("a step re-run in another process (a crash between) is allowed and counted; in the same process it is a violation", () => {
    const across = healthy();
    across.executions.set("a1", runs(["b1", T0 + 5], ["b2", T0 + 900]));
    expect(check(across)).toEqual({ violations: [], duplicatesAcrossCrashes: 1 });

    const within = healthy();
    within.executions.set("a1", runs(["b1", T0 + 5], ["b1", T0 + 6]));
    expect(kinds(within)).toEqual(["duplicate-without-crash"]);
  });

  test("a sleep that never woke, or woke early, is a violation", () => {
    const lost = healthy();
    lost.executions.delete("n1/after");
    expect(kinds(lost)).toEqual(["sleep-not-woken"]);

    const early = healthy();
    early.executions.set("n1/after", runs(["b1", T0 + 500]));
    expect(kinds(early)).toEqual(["ran-early"]);
  });

  test("an accepted send that never ran, and a delayed send that ran before its delay", () => {
    const observed = healthy();
    observed.ops = [...observed.ops, op("addSend", "s1", { key: "k0" }), op("addDelayed", "d1", { key: "k0", ms: 2_000 })];
    observed.executions.set("d1", runs(["b1", T0 + 1_000]));
    observed.counters.set("k0", 3);
    expect(kinds(observed).sort()).toEqual(["ran-early", "send-not-run"]);
  });

  test("a counter off its acknowledged adds, or two adds answered the same count", () => {
    const off = healthy();
    off.counters.set("k0", 2);
    expect(kinds(off)).toEqual(["counter-mismatch"]);

    const twice = healthy();
    twice.ops = [...twice.ops, op("add", "a2", { key: "k0", count: 1 })];
    twice.executions.set("a2", runs(["b1", T0 + 7]));
    twice.counters.set("k0", 2);
    expect(kinds(twice)).toEqual(["duplicate-answer"]);
  });

  test("an unanswered add may or may not have been applied, but its silence is a violation", () => {
    for (const count of [1, 2]) {
      const observed = healthy();
      observed.ops = [...observed.ops, op("add", "a2", { key: "k0", answered: false, acknowledged: 0, invocationIds: [] })];
      observed.counters.set("k0", count);
      expect(kinds(observed)).toEqual(["unanswered"]);
    }
  });

  test("an invocation not completed, failed or unknown to the admin API; an unfinished one nobody named", () => {
    const observed = healthy();
    observed.invocations.set("inv_n1", { status: "suspended" });
    observed.invocations.set("inv_a1", { status: "completed", result: "failure", failure: "boom" });
    observed.invocations.set("inv_w1", { status: "unknown" });
    observed.unfinished = [{ id: "inv_other", status: "scheduled", target: "chaosCounter/k0/add" }, { id: "inv_n1", status: "running", target: "chaosSleeper/nap" }];
    expect(kinds(observed).sort()).toEqual(["failed", "lost-invocation", "stuck", "stuck"]);
  });

  test("issue #15: more limited steps at once than the limit, on any limit key, is a violation", () => {
    const observed = healthy();
    observed.limited = { limit: 5, maxInFlight: new Map([["", 5], ["tenant-a", 6]]) };
    expect(check(observed).violations).toEqual([{ kind: "over-limit", detail: "limit key 'tenant-a': 6 limited steps ran at once, over the limit of 5" }]);
  });

  test("issue #15: an accepted limited send whose step never ran is a violation", () => {
    const observed = healthy();
    observed.ops = [...observed.ops, op("limitedSend", "l1", { limitKey: "" })];
    expect(kinds(observed)).toEqual(["send-not-run"]);
    observed.executions.set("l1", runs(["b1", T0 + 5]));
    expect(kinds(observed)).toEqual([]);
  });

  test("a workflow without its output, a bad answer, and a process that survived its kill", () => {
    const observed = healthy();
    observed.workflowOutputs.set("w1", { status: 470, body: { code: 470 } });
    observed.ops = [...observed.ops, op("napCall", "n2", { ms: 1_000, problems: ["POST /chaosSleeper/nap answered 400 {}"] })];
    observed.survivors = ["crash 1: 123 workerd serve"];
    expect(kinds(observed)).toEqual(["workflow-unfinished", "bad-answer", "survivor"]);
  });
});
