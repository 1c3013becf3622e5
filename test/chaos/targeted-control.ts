/**
 * Targeted chaos, "control": operator actions answered just before a SIGKILL (a seeded
 * 0–30 ms after the request left): cancel of an invocation waiting on an awakeable, cancel
 * of a caller whose callee waits (propagated downstream), kill, a state replacement, and
 * restart-as-new and purge of a completed invocation.
 *
 * Checked: an action answered 202 is never lost — the cancelled or killed invocation
 * completes with that failure and never runs its last step, a cancelled caller's callee is
 * cancelled too, a replaced state reads back, a restarted invocation runs again, a purged
 * one is gone.
 */
import { ADMIN, checkInvocations, killsAtActions, ownerStatus, until, type Scenario } from "./targeted-harness.js";
import { TARGETED, type HotState } from "./targeted-protocol.js";

type ControlKind = "cancel" | "cancelCaller" | "kill" | "state" | "restartAsNew" | "purge";

interface ControlOp {
  effect: string;
  kind: ControlKind;
  answered: boolean;
  /** The action was answered 202: its outcome must stick. */
  acted: boolean;
  ids: string[];
}

const CLIENTS = 8;
const MAX_OPS_PER_CLIENT = 200;
const KINDS: ControlKind[] = ["cancel", "cancelCaller", "kill", "state", "restartAsNew", "purge"];
const WAIT_MS = 30_000;

export async function controlScenario(s: Scenario, kills: number): Promise<{ ops: number; acknowledged: number }> {
  const ops: ControlOp[] = [];
  let stopped = false;
  const kill = killsAtActions(s, kills);
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let n = 0; !stopped && n < MAX_OPS_PER_CLIENT; n++) {
      const op: ControlOp = { effect: `ct-${client}-${n}`, kind: KINDS[Math.floor(s.rand.random() * KINDS.length)]!, answered: false, acted: false, ids: [] };
      ops.push(op);
      if (op.kind === "state") await replaceState(s, op, kill.acting);
      else if (op.kind === "restartAsNew" || op.kind === "purge") await actOnCompleted(s, op, kill.acting);
      else await actOnWaiter(s, op, kill.acting);
    }
  });
  await kill.done;
  stopped = true;
  await Promise.all(clients);
  await checkControl(s, ops);
  return { ops: ops.length, acknowledged: ops.filter((op) => op.acted).length };
}

/** Starts a waiter (directly, or through a caller), waits until it waits, then cancels or kills it. */
async function actOnWaiter(s: Scenario, op: ControlOp, acting: () => void): Promise<void> {
  const path = op.kind === "cancelCaller" ? `/${TARGETED.parent}/${op.effect}/wait/send` : `/${TARGETED.waiter}/wait/send`;
  const started = await s.client.definitive({ method: "POST", path, body: { effect: op.effect }, headers: { "idempotency-key": op.effect } });
  const id = (started?.body as { invocationId?: unknown } | undefined)?.invocationId;
  if (started?.status !== 202 || typeof id !== "string") {
    if (started) s.violations.push(`bad-answer: ${op.kind} ${op.effect}: ${started.status} ${JSON.stringify(started.body)}`);
    return;
  }
  op.ids.push(id);
  if (!(await until(() => s.recorder.startingWith(`${op.effect}/inv=`).length > 0, WAIT_MS, 50))) return;
  acting();
  const action = op.kind === "kill" ? "kill" : "cancel";
  const answer = await s.client.definitive({ method: "PATCH", path: `/restate/admin/invocations/${encodeURIComponent(id)}/${action}`, headers: ADMIN });
  op.answered = answer !== undefined;
  // 409 after a lost answer: the first attempt may have acted (the outcome tells).
  op.acted = answer?.status === 202;
  if (answer && answer.status !== 202 && answer.status !== 409) s.violations.push(`bad-answer: ${action} ${op.effect}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** One add on a key of its own (count 1), completed; then restarted as new (count 2 after) or purged (unknown after). */
async function actOnCompleted(s: Scenario, op: ControlOp, acting: () => void): Promise<void> {
  const added = await s.client.definitive({ method: "POST", path: `/${TARGETED.hot}/${op.effect}/add`, body: { client: 0, seq: 0 }, headers: { "idempotency-key": op.effect } });
  const id = added?.headers["x-restate-id"];
  if (added?.status !== 200 || typeof id !== "string") {
    if (added) s.violations.push(`bad-answer: add ${op.effect}: ${added.status} ${JSON.stringify(added.body)}`);
    return;
  }
  op.ids.push(id);
  acting();
  const action = op.kind === "purge" ? "purge" : "restart-as-new";
  const answer = await s.client.definitive({ method: "PATCH", path: `/restate/admin/invocations/${encodeURIComponent(id)}/${action}`, headers: ADMIN });
  op.answered = answer !== undefined;
  const created = (answer?.body as { new_invocation_id?: unknown } | undefined)?.new_invocation_id;
  op.acted = op.kind === "purge" ? answer?.status === 202 : answer?.status === 200 && typeof created === "string";
  if (typeof created === "string") op.ids.push(created);
  // A purge repeated after a lost answer finds nothing (404); a restart-as-new repeated restarts again.
  const fine = answer?.status === (op.kind === "purge" ? 202 : 200) || (op.kind === "purge" && answer?.status === 404);
  if (answer && !fine) s.violations.push(`bad-answer: ${action} ${op.effect}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

async function replaceState(s: Scenario, op: ControlOp, acting: () => void): Promise<void> {
  acting();
  const body = { object_key: op.effect, new_state: { count: [...new TextEncoder().encode("41")] } };
  const answer = await s.client.definitive({ method: "POST", path: `/restate/admin/services/${TARGETED.hot}/state`, body, headers: ADMIN });
  op.answered = answer !== undefined;
  op.acted = answer?.status === 202;
  if (answer && !op.acted) s.violations.push(`bad-answer: state ${op.effect}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

async function checkControl(s: Scenario, ops: readonly ControlOp[]): Promise<void> {
  const outcomes = new Map<string, RegExp>();
  for (const op of ops) {
    if (!op.answered) s.violations.push(`unanswered: ${op.kind} ${op.effect}`);
    if (op.kind === "restartAsNew" || op.kind === "purge") {
      if (op.acted) await checkCompletedAction(s, op);
      continue;
    }
    if (op.kind === "state") {
      if (!op.acted) continue;
      const answer = await s.client.definitive({ method: "POST", path: `/${TARGETED.hot}/${op.effect}/get` });
      if ((answer?.body as HotState | undefined)?.count !== 41) s.violations.push(`state-lost: ${op.effect} was replaced (202) but reads ${JSON.stringify(answer?.body)}`);
      continue;
    }
    if (s.recorder.startingWith(`${op.effect}/end`).length > 0) s.violations.push(`ran-after-${op.kind}: ${op.effect} ran its last step`);
    const failure = op.kind === "kill" ? /^completed with .*kill/i : /^completed with .*cancel/i;
    // A waiter never resolved can only end by the action: even when its answer was lost, the outcome must be the action's.
    for (const id of op.ids) outcomes.set(id, failure);
    const callee = s.recorder.startingWith(`${op.effect}/inv=`).at(-1)?.slice(`${op.effect}/inv=`.length);
    if (op.kind === "cancelCaller" && callee) {
      op.ids.push(callee);
      outcomes.set(callee, failure);
    }
  }
  const checked = ops.filter((op) => op.answered && (op.kind === "restartAsNew" || !["state", "purge"].includes(op.kind)));
  await checkInvocations(s, checked.flatMap((op) => op.ids), 60_000, outcomes);
}

/** A purged invocation is gone for good; a restarted one ran again (the key's count at least 2). */
async function checkCompletedAction(s: Scenario, op: ControlOp): Promise<void> {
  if (op.kind === "purge") {
    const status = await ownerStatus(s, op.ids[0]!);
    if (status !== "unknown") s.violations.push(`purge-lost: ${op.ids[0]} was purged (202) but its owner says ${status}`);
    return;
  }
  let count: number | undefined;
  await until(() => (count ?? 0) >= 2, 30_000, 300, async () => {
    const answer = await s.client.definitive({ method: "POST", path: `/${TARGETED.hot}/${op.effect}/get` });
    count = (answer?.body as HotState | undefined)?.count;
  });
  if ((count ?? 0) < 2) s.violations.push(`restart-lost: ${op.ids[0]} was restarted as ${op.ids[1]} (200) but its key counts ${count}`);
}
