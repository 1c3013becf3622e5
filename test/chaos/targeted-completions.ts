/**
 * Targeted chaos, "completions": workflows waiting on their promise `go` and services
 * waiting on an awakeable, SIGKILLed a seeded 0–30 ms after the request completing one of
 * them left the client (while the owner resolves it).
 *
 * Checked: a resolve answered 202 (or a `go` answered 200) is never lost — the handler
 * goes on with that value and makes no new awakeable; every workflow's output is its
 * promise's value; every invocation completed.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { checkInvocations, killsAtActions, until, type Scenario } from "./targeted-harness.js";
import { TARGETED } from "./targeted-protocol.js";

interface CompletionOp {
  effect: string;
  kind: "workflow" | "awakeable";
  answered: boolean;
  /** The completion was answered as accepted: its value must reach the handler. */
  completed: boolean;
  /** For an awakeable: the id that was resolved with 202. */
  resolvedId?: string;
  ids: string[];
}

const CLIENTS = 8;
const MAX_OPS_PER_CLIENT = 300;
const WAIT_MS = 30_000;

export async function completionsScenario(s: Scenario, kills: number): Promise<{ ops: number; acknowledged: number }> {
  const ops: CompletionOp[] = [];
  let stopped = false;
  const kill = killsAtActions(s, kills);
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let n = 0; !stopped && n < MAX_OPS_PER_CLIENT; n++) {
      const op: CompletionOp = { effect: `cp-${client}-${n}`, kind: s.rand.random() < 0.5 ? "workflow" : "awakeable", answered: false, completed: false, ids: [] };
      ops.push(op);
      await runCompletionOp(s, op, kill.acting);
    }
  });
  await kill.done;
  stopped = true;
  await Promise.all(clients);
  await checkCompletions(s, ops);
  return { ops: ops.length, acknowledged: ops.filter((op) => op.completed).length };
}

/** Starts the waiting handler, waits for its first step, then completes what it waits on (`sending` just before). */
async function runCompletionOp(s: Scenario, op: CompletionOp, sending: () => void): Promise<void> {
  const path = op.kind === "workflow" ? `/${TARGETED.gate}/${op.effect}/run/send` : `/${TARGETED.waiter}/wait/send`;
  // Half the workflow submits go without an idempotency key: a repeat after a lost answer must find the run by its id.
  const headers: Record<string, string> = op.kind === "workflow" && op.effect.endsWith("1") ? {} : { "idempotency-key": op.effect };
  const started = await s.client.definitive({ method: "POST", path, body: { effect: op.effect }, headers });
  const id = (started?.body as { invocationId?: unknown } | undefined)?.invocationId;
  if (started?.status !== 202 || typeof id !== "string") {
    if (started) s.violations.push(`bad-answer: ${op.kind} ${op.effect}: ${started.status} ${JSON.stringify(started.body)}`);
    return;
  }
  op.ids.push(id);
  const first = op.kind === "workflow" ? `${op.effect}/start` : `${op.effect}/awk=`;
  if (!(await until(() => s.recorder.startingWith(first).length > 0, WAIT_MS, 50))) return;
  if (op.kind === "workflow") {
    sending();
    const go = await s.client.definitive({ method: "POST", path: `/${TARGETED.gate}/${op.effect}/go`, body: `go:${op.effect}`, headers: { "idempotency-key": `${op.effect}/go` } });
    op.answered = go !== undefined;
    op.completed = go?.status === 200;
    if (go && !op.completed) s.violations.push(`bad-answer: go ${op.effect}: ${go.status} ${JSON.stringify(go.body)}`);
    return;
  }
  await resolveAwakeable(s, op, sending);
}

/**
 * Resolves the newest awakeable the handler published. A 404 after a lost answer can mean
 * the first attempt won (the awakeable is done): then the end step shows; else try again.
 */
async function resolveAwakeable(s: Scenario, op: CompletionOp, sending: () => void): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline && !s.recorder.startingWith(`${op.effect}/end=`).length) {
    const awakeable = s.recorder.startingWith(`${op.effect}/awk=`).at(-1)!.slice(`${op.effect}/awk=`.length);
    sending();
    const answer = await s.client.definitive({ method: "POST", path: `/restate/awakeables/${awakeable}/resolve`, body: `v:${op.effect}` });
    if (answer?.status === 202) {
      op.answered = true;
      op.completed = true;
      op.resolvedId = awakeable;
      return;
    }
    await sleep(300);
  }
  op.answered = s.recorder.startingWith(`${op.effect}/end=`).length > 0;
}

async function checkCompletions(s: Scenario, ops: readonly CompletionOp[]): Promise<void> {
  const ends = (op: CompletionOp) => s.recorder.startingWith(`${op.effect}/end`);
  await until(() => ops.every((op) => !op.completed || ends(op).length > 0), 60_000, 500);
  for (const op of ops) {
    if (!op.answered) s.violations.push(`unanswered: ${op.kind} ${op.effect}`);
    if (!op.completed) continue;
    const expected = op.kind === "workflow" ? [`${op.effect}/end`] : [`${op.effect}/end=v:${op.effect}`];
    if (ends(op).join() !== expected.join()) s.violations.push(`completion-lost: ${op.kind} ${op.effect} was completed (accepted), then ran ${JSON.stringify(ends(op))}`);
    const awakeables = s.recorder.startingWith(`${op.effect}/awk=`);
    if (op.resolvedId && awakeables.at(-1) !== `${op.effect}/awk=${op.resolvedId}`) s.violations.push(`completion-lost: awakeable ${op.resolvedId} of ${op.effect} was resolved (202), then the handler made another: ${awakeables.at(-1)}`);
    if (op.kind === "workflow") {
      const output = await s.client.definitive({ method: "GET", path: `/restate/workflow/${TARGETED.gate}/${op.effect}/output` });
      if (output?.status !== 200 || output.body !== `go:${op.effect}`) s.violations.push(`workflow-wrong-output: ${op.effect}: ${output?.status} ${JSON.stringify(output?.body)}`);
    }
  }
  await checkInvocations(s, ops.flatMap((op) => op.ids), 60_000);
}
