/**
 * The chaos invariants, checked over what was observed once the load drained:
 * the operations and their answers, every recorded execution of a step, the
 * counters' final values, and the admin API's view of every invocation. Pure:
 * it judges data, it asks nothing.
 */
import type { Execution, Executions } from "./recorder.js";
import { addsToCounter, goValue, isAcknowledged, type Op } from "./ops.js";

export const VIOLATION_KINDS = [
  "lost-effect", // an acknowledged operation's step never ran
  "call-not-delivered", // a handler's call to the counter never ran
  "send-not-run", // an accepted one-way send never ran
  "delayed-send-not-run",
  "sleep-not-woken", // a handler slept and never ran its next step
  "workflow-unfinished",
  "workflow-wrong-output",
  "ran-early", // a delayed send or a sleep ran before its time
  "duplicate-without-crash", // a step ran twice in one process: no crash explains it
  "counter-mismatch", // an object's state is not the sum of the acknowledged adds
  "duplicate-answer", // two adds on one key answered the same count
  "stuck", // the admin API shows an invocation not completed
  "failed", // an invocation completed with a failure
  "lost-invocation", // an id an answer named is unknown to the admin API
  "over-limit", // more invocations of a limited service ran at once than its limit (issue 15)
  "bad-answer", // a definitive answer that is not the expected one
  "unanswered", // a request never got a definitive answer in time
  "survivor", // a process of the runtime outlived its SIGKILL
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface Violation {
  kind: ViolationKind;
  detail: string;
}

/** What the admin API says of one invocation; `status` "unknown" for a 404. */
export interface InvocationView {
  status: string;
  createdAt?: number;
  result?: string | null;
  failure?: string | null;
}

export interface Observed {
  ops: readonly Op[];
  executions: Executions;
  /** Final count by counter key. */
  counters: ReadonlyMap<string, number>;
  /** The admin API's answer for each invocation id an answer named. */
  invocations: ReadonlyMap<string, InvocationView>;
  /** Invocations not completed, found by listing every object of the fixture. */
  unfinished: readonly { id: string; status: string; target: string; createdAt?: number }[];
  /** The output endpoint's answer by workflow id. */
  workflowOutputs: ReadonlyMap<string, { status: number; body: unknown }>;
  /** Processes that outlived a SIGKILL, over all kills. */
  survivors: readonly string[];
  /** When each kill happened (ms since the epoch), in order. */
  killedAt: readonly number[];
  /** The most limited steps seen running at once, by limit key, and the limit (issue 15). */
  limited: { limit: number; maxInFlight: ReadonlyMap<string, number> };
}

export interface Verdict {
  violations: Violation[];
  /** Steps executed more than once, each time in another process (a crash between: allowed). */
  duplicatesAcrossCrashes: number;
}

/** How far a clock reading may lag: one clock, read by two processes. */
const CLOCK_SLACK_MS = 10;

export function check(observed: Observed): Verdict {
  const violations: Violation[] = [];
  const add = (kind: ViolationKind, detail: string) => violations.push({ kind, detail });
  for (const op of observed.ops) checkOp(op, observed, add);
  const duplicatesAcrossCrashes = checkDuplicates(observed.executions, add);
  checkCounters(observed, add);
  checkInvocations(observed, add);
  for (const [key, max] of observed.limited.maxInFlight) {
    if (max > observed.limited.limit) add("over-limit", `limit key '${key}': ${max} limited steps ran at once, over the limit of ${observed.limited.limit}`);
  }
  for (const survivor of observed.survivors) add("survivor", survivor);
  return { violations, duplicatesAcrossCrashes };
}

type Report = (kind: ViolationKind, detail: string) => void;

/** A step the operation must have run, and (for delays and sleeps) not before when. */
interface Expectation {
  effect: string;
  missing: ViolationKind;
  /** At least `ms` after the operation started, or after the last execution of `effect` preceding this one. */
  after?: { ms: number; from: "start" | string };
}

export function expectations(op: Op): Expectation[] {
  const ms = op.ms ?? 0;
  switch (op.kind) {
    case "add":
      return [{ effect: op.id, missing: "lost-effect" }];
    case "addSend":
      return [{ effect: op.id, missing: "send-not-run" }];
    case "addDelayed":
      return [{ effect: op.id, missing: "delayed-send-not-run", after: { ms, from: "start" } }];
    case "relayCall":
      return [{ effect: op.id, missing: "lost-effect" }, { effect: `${op.id}/add`, missing: "call-not-delivered" }];
    case "relaySend":
      return [{ effect: op.id, missing: "lost-effect" }, { effect: `${op.id}/add`, missing: "send-not-run" }];
    case "relayDelayed":
      return [{ effect: op.id, missing: "lost-effect" }, { effect: `${op.id}/add`, missing: "delayed-send-not-run", after: { ms, from: op.id } }];
    case "napCall":
    case "napSend":
      return [{ effect: `${op.id}/before`, missing: "lost-effect" }, { effect: `${op.id}/after`, missing: "sleep-not-woken", after: { ms, from: `${op.id}/before` } }];
    case "workflow":
      return [{ effect: `${op.id}/start`, missing: "lost-effect" }, { effect: `${op.id}/end`, missing: "workflow-unfinished", after: { ms, from: `${op.id}/start` } }];
    case "limitedSend":
      return [{ effect: op.id, missing: "send-not-run" }];
  }
}

function checkOp(op: Op, observed: Observed, add: Report): void {
  const where = `${op.kind} ${op.id}${op.key ? ` on ${op.key}` : ""} (sent ${era(op.startedAt, observed.killedAt)})`;
  for (const problem of op.problems) add("bad-answer", `${where}: ${problem}`);
  // An operation without an answer may or may not have been accepted: only its silence is a fault.
  if (!op.answered) return add("unanswered", where);
  if (op.problems.length > 0) return;
  for (const expected of expectations(op)) {
    const runs = observed.executions.get(expected.effect);
    if (!runs?.length) {
      add(expected.missing, `${where}: step '${expected.effect}' never ran`);
      continue;
    }
    if (!expected.after) continue;
    const first = runs[0]!.at;
    const base = expected.after.from === "start" ? op.startedAt : lastBefore(observed.executions.get(expected.after.from), first);
    if (base !== undefined && first + CLOCK_SLACK_MS < base + expected.after.ms) {
      add("ran-early", `${where}: step '${expected.effect}' ran ${base + expected.after.ms - first} ms before its ${expected.after.ms} ms were up`);
    }
  }
  if (op.kind === "workflow") checkWorkflowOutput(op, observed.workflowOutputs.get(op.id), add);
}

function checkWorkflowOutput(op: Op, output: { status: number; body: unknown } | undefined, add: Report): void {
  if (output?.status === 200 && output.body === goValue(op)) return;
  const seen = output ? `${output.status} ${JSON.stringify(output.body)}` : "no answer";
  add(output?.status === 200 ? "workflow-wrong-output" : "workflow-unfinished", `workflow ${op.id}: output is ${seen}, expected 200 ${JSON.stringify(goValue(op))}`);
}

/** The time of the last of `runs` before `at`: the execution whose result was journaled. */
function lastBefore(runs: readonly Execution[] | undefined, at: number): number | undefined {
  const earlier = (runs ?? []).filter((run) => run.at <= at);
  return earlier.length > 0 ? earlier[earlier.length - 1]!.at : undefined;
}

/** A step may run again only in another process (its result was not journaled before the crash). */
function checkDuplicates(executions: Executions, add: Report): number {
  let acrossCrashes = 0;
  for (const [effect, runs] of executions) {
    if (runs.length < 2) continue;
    const boots = runs.map((run) => run.boot);
    if (new Set(boots).size < boots.length) {
      add("duplicate-without-crash", `step '${effect}' ran ${runs.length} times in ${new Set(boots).size} process(es)`);
    } else {
      acrossCrashes++;
    }
  }
  return acrossCrashes;
}

/** Each key's count is its acknowledged adds (plus any unanswered ones that ran), and no two adds saw one count. */
function checkCounters(observed: Observed, add: Report): void {
  const byKey = new Map<string, Op[]>();
  for (const op of observed.ops) if (addsToCounter(op.kind)) byKey.set(op.key!, [...(byKey.get(op.key!) ?? []), op]);
  for (const [key, ops] of byKey) {
    const acknowledged = ops.filter(isAcknowledged).length;
    const unsure = ops.length - acknowledged;
    const count = observed.counters.get(key);
    if (count === undefined || count < acknowledged || count > acknowledged + unsure) {
      const expected = unsure === 0 ? `${acknowledged}` : `${acknowledged}..${acknowledged + unsure}`;
      add("counter-mismatch", `counter ${key} is ${count ?? "unreadable"}, expected ${expected} (the acknowledged adds)`);
    }
    const seen = new Map<number, string>();
    for (const op of ops) {
      if (op.count === undefined) continue;
      const other = seen.get(op.count);
      if (other) add("duplicate-answer", `counter ${key}: ${other} and ${op.id} both answered ${op.count}`);
      seen.set(op.count, op.id);
    }
  }
}

function checkInvocations(observed: Observed, add: Report): void {
  const reported = new Set<string>();
  const created = (at: number | undefined) => (at === undefined ? "" : `, created ${era(at, observed.killedAt)}`);
  for (const [id, view] of observed.invocations) {
    if (view.status === "unknown") add("lost-invocation", `${id}: the admin API does not know it`);
    else if (view.status !== "completed") add("stuck", `${id}: ${view.status}${created(view.createdAt)}`);
    else if (view.result !== "success") add("failed", `${id}: ${view.failure ?? view.result}`);
    else continue;
    reported.add(id);
  }
  for (const row of observed.unfinished) {
    if (!reported.has(row.id)) add("stuck", `${row.id} (${row.target}): ${row.status}${created(row.createdAt)}`);
  }
}

/** Where `at` falls among the kills: tells a loss across a crash from one without. */
export function era(at: number, killedAt: readonly number[]): string {
  const after = killedAt.filter((kill) => kill <= at).length;
  if (killedAt.length === 0) return "in a run without crashes";
  if (after === 0) return "before the first crash";
  return after === killedAt.length ? `after crash ${after}, the last` : `between crashes ${after} and ${after + 1}`;
}
