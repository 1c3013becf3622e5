/**
 * Targeted chaos, "operator": admin actions on invocations that are doing something when
 * the kill lands (a seeded 0–30 ms after the action left):
 *
 * - "pause": a `stepper` sleeping between its steps is paused, stays paused past its
 *   sleep's end (and across the kills), then is resumed. Checked: a pause answered 202
 *   leaves it paused at its owner across restarts, no later step runs until the resume
 *   was sent, and once resumed it completes, each step run once per process (the harness).
 * - "kill", "cancel": a `stepper` running steps back to back (its owner mid-commit) is
 *   killed or cancelled. Checked: the answer is not a lie — 202 means it ends killed
 *   (cancelled) with at most the one step in flight run after the answer, across restarts;
 *   a cancelled one may complete only if its last step ran before the answer; 409 (already
 *   completed, or a repeat after a lost 202) means it ends completed or by the action; never 404.
 * - "retain", "purge": an idempotent result's retention ends across a kill, or it is purged
 *   (targeted-retention.ts).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ADMIN, checkInvocations, killsAtActions, ownerStatus, until, type Scenario } from "./targeted-harness.js";
import { TARGETED, type StepsInput } from "./targeted-protocol.js";
import { keptOp } from "./targeted-retention.js";

type OperatorKind = "pause" | "kill" | "cancel" | "retain" | "purge";

interface OperatorOp {
  effect: string;
  kind: OperatorKind;
  id?: string;
  /** The action's answer and when it arrived. */
  status?: number;
  answeredAt?: number;
}

const CLIENTS = 8;
const MAX_OPS_PER_CLIENT = 40;
const KINDS: OperatorKind[] = ["pause", "kill", "cancel", "retain", "purge"];
/** The paused stepper: 3 steps with this sleep between them, paused this long (past its sleep's end). */
const PAUSE_STEPS: Omit<StepsInput, "effect"> = { n: 3, sleepMs: 700 };
const PAUSED_MS = 1_000;
/** The busy stepper: this many steps back to back, the action sent once step AIM_STEP has run. */
const BUSY_STEPS = 60;
const AIM_STEP = 5;
const WAIT_MS = 20_000;

export async function operatorScenario(s: Scenario, kills: number): Promise<{ ops: number; acknowledged: number }> {
  const ops: OperatorOp[] = [];
  let stopped = false;
  const kill = killsAtActions(s, kills);
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let n = 0; !stopped && n < MAX_OPS_PER_CLIENT; n++) {
      const op: OperatorOp = { effect: `op-${client}-${n}`, kind: KINDS[Math.floor(s.rand.random() * KINDS.length)]! };
      ops.push(op);
      if (op.kind === "retain" || op.kind === "purge") op.status = (await keptOp(s, op.effect, op.kind === "purge", kill.acting)) ? 202 : undefined;
      else if (op.kind === "pause") await pauseAndResume(s, op, kill.acting);
      else await actOnBusy(s, op, kill.acting);
    }
  });
  await kill.done;
  stopped = true;
  await Promise.all(clients);
  await checkOperator(s, ops);
  return { ops: ops.length, acknowledged: ops.filter((op) => op.status === 202).length };
}

async function startSteps(s: Scenario, op: OperatorOp, input: Omit<StepsInput, "effect">): Promise<boolean> {
  const started = await s.client.definitive({ method: "POST", path: `/${TARGETED.stepper}/steps/send`, body: { effect: op.effect, ...input }, headers: { "idempotency-key": op.effect } });
  const id = (started?.body as { invocationId?: unknown } | undefined)?.invocationId;
  if (started?.status === 202 && typeof id === "string") return (op.id = id), true;
  if (started) s.violations.push(`bad-answer: steps ${op.effect}: ${started.status} ${JSON.stringify(started.body)}`);
  return false;
}

async function act(s: Scenario, op: OperatorOp, action: "pause" | "resume" | "kill" | "cancel"): Promise<number | undefined> {
  const answer = await s.client.definitive({ method: "PATCH", path: `/restate/admin/invocations/${encodeURIComponent(op.id!)}/${action}`, headers: ADMIN });
  if (answer && answer.status !== 202 && answer.status !== 409) s.violations.push(`bad-answer: ${action} ${op.effect}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer?.status;
}

/** Pauses the stepper in its first sleep, checks it stays paused past the sleep's end, resumes it. */
async function pauseAndResume(s: Scenario, op: OperatorOp, acting: () => void): Promise<void> {
  if (!(await startSteps(s, op, PAUSE_STEPS))) return;
  let s0Journaled = false;
  // Paused only once s0's result is journaled: a run in flight would be dropped and run again on resume (as documented).
  if (!(await until(() => s0Journaled, WAIT_MS, 50, async () => void (s0Journaled = await journaled(s, op.id!, "s0"))))) return;
  acting();
  op.status = await act(s, op, "pause");
  op.answeredAt = Date.now();
  if (op.status !== 202) return;
  await sleep(PAUSED_MS);
  const status = await ownerStatus(s, op.id!);
  if (status !== "paused") s.violations.push(`pause-lost: ${op.effect} was paused (202) but its owner says ${status} ${Date.now() - op.answeredAt} ms later`);
  acting();
  const resumeSentAt = Date.now();
  const whilePaused = stepsBetween(s, op, op.answeredAt, resumeSentAt);
  if (whilePaused.length > 0) s.violations.push(`ran-while-paused: ${op.effect} ran ${whilePaused.join(", ")} after its pause was answered 202, before its resume was sent (${resumeSentAt - op.answeredAt} ms later)`);
  const resumed = await act(s, op, "resume");
  // 409 only as a repeat after a lost answer: the first resume took (the outcome tells).
  if (resumed !== 202 && resumed !== 409) s.violations.push(`resume-refused: ${op.effect}: ${resumed ?? "no answer"}`);
}

/** Whether the owner's journal of `id` holds the run `name`, completed. */
async function journaled(s: Scenario, id: string, name: string): Promise<boolean> {
  const answer = await s.client.definitive({ method: "GET", path: `/restate/admin/invocations/${encodeURIComponent(id)}`, headers: ADMIN });
  const journal = (answer?.body as { journal?: { name?: string; completed?: boolean }[] } | undefined)?.journal ?? [];
  return journal.some((entry) => entry.name === name && entry.completed === true);
}

/** Kills or cancels the stepper while it runs its steps back to back. */
async function actOnBusy(s: Scenario, op: OperatorOp, acting: () => void): Promise<void> {
  if (!(await startSteps(s, op, { n: BUSY_STEPS }))) return;
  if (!(await until(() => s.recorder.executions.has(`${op.effect}/s${AIM_STEP}`), WAIT_MS, 20))) return;
  acting();
  op.status = await act(s, op, op.kind === "kill" ? "kill" : "cancel");
  op.answeredAt = Date.now();
}

/** The steps of `op` that ran (an execution arrived) after `from`, and before `to`, with when (ms after `from`). */
function stepsBetween(s: Scenario, op: OperatorOp, from: number, to = Infinity): string[] {
  return s.recorder.startingWith(`${op.effect}/s`).flatMap((effect) => {
    const run = s.recorder.executions.get(effect)!.find((run) => run.at > from && run.at < to);
    return run ? [`${effect.slice(op.effect.length + 1)} at +${run.at - from} ms`] : [];
  });
}

async function checkOperator(s: Scenario, ops: readonly OperatorOp[]): Promise<void> {
  const outcomes = new Map<string, RegExp>();
  for (const op of ops) {
    if (!op.id || op.kind === "pause") continue;
    const by = op.kind === "kill" ? "kill" : "cancel";
    const last = s.recorder.executions.get(`${op.effect}/s${BUSY_STEPS - 1}`)?.[0];
    if (op.status === 202) {
      const after = stepsBetween(s, op, op.answeredAt!);
      if (after.length > 1) s.violations.push(`ran-after-${op.kind}: ${op.effect} ran ${after.length} steps after its ${op.kind} was answered 202 (${after.slice(0, 3).join(", ")}…)`);
      // A cancel met after the last step ran (nothing left to await) lets it complete.
      const mayComplete = op.kind === "cancel" && last !== undefined && last.at <= op.answeredAt!;
      outcomes.set(op.id, new RegExp(`^completed${mayComplete ? "( with .*" + by + ".*)?" : " with .*" + by}`, "i"));
    } else if (op.status === 409) {
      outcomes.set(op.id, new RegExp(`^completed( with .*${by}.*)?$`, "i"));
    }
  }
  await checkInvocations(s, ops.flatMap((op) => (op.id && op.status !== undefined ? [op.id] : [])), 60_000, outcomes);
  // Once every resumed one completed, it ran every step.
  for (const op of ops.filter((op) => op.kind === "pause" && op.status === 202)) {
    for (let i = 0; i < PAUSE_STEPS.n; i++) if (!s.recorder.executions.has(`${op.effect}/s${i}`)) s.violations.push(`not-resumed: ${op.effect} never ran step s${i}`);
  }
}
