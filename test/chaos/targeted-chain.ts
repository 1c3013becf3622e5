/**
 * Targeted chaos, "chain": A → B → C calls whose callee C holds its step open for less
 * than the 250 ms answer window, so it answers in B's delivery response and no crash
 * wake-up of its own is armed. Each kill is aimed: it fires a seeded 0–450 ms after some
 * C step starts (inside C's step, or while B and A commit the answer).
 *
 * Checked: every acknowledged A (called or sent) ran C and its own last step, a called
 * A answered C's value (a sent one's attach too), and every invocation completed.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { aimAt, checkInvocations, crash, until, type Scenario } from "./targeted-harness.js";
import { TARGETED } from "./targeted-protocol.js";

interface ChainOp {
  effect: string;
  key: string;
  send: boolean;
  answered: boolean;
  acknowledged: boolean;
  ids: string[];
}

const CLIENTS = 6;
const MAX_OPS_PER_CLIENT = 150;
const KEYS = 4;
/** C's step stays open 100–400 ms: inside the callee's 250 ms answer window, or just past it (C then answers "accepted" and arms its own wake-up). */
const C_HOLD_MS = { min: 100, max: 400 };

export async function chainScenario(s: Scenario, kills: number): Promise<{ ops: number; acknowledged: number }> {
  const ops: ChainOp[] = [];
  let stopped = false;
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let n = 0; !stopped && n < MAX_OPS_PER_CLIENT; n++) {
      // A sent chain has keys of its own: after a kill, no later request wakes its objects, only their own alarms.
      const effect = `ch-${client}-${n}`;
      const send = s.rand.random() < 0.4;
      const op: ChainOp = { effect, key: send ? `solo-${effect}` : `a${Math.floor(s.rand.random() * KEYS)}`, send, answered: false, acknowledged: false, ids: [] };
      ops.push(op);
      await runChainOp(s, op);
    }
  });
  for (let k = 0; k < kills; k++) {
    await sleep(1_500 + Math.floor(s.rand.random() * 1_500));
    await aimAt(s, "/c", 10_000);
    await sleep(Math.floor(s.rand.random() * 450));
    await crash(s);
  }
  await sleep(2_000);
  stopped = true;
  await Promise.all(clients);
  await checkChain(s, ops);
  return { ops: ops.length, acknowledged: ops.filter((op) => op.acknowledged).length };
}

async function runChainOp(s: Scenario, op: ChainOp): Promise<void> {
  const answer = await s.client.definitive({
    method: "POST",
    path: `/${TARGETED.chainA}/${op.key}/hop${op.send ? "/send" : ""}`,
    body: { effect: op.effect, ms: C_HOLD_MS.min + Math.floor(s.rand.random() * (C_HOLD_MS.max - C_HOLD_MS.min)) },
    headers: { "idempotency-key": op.effect },
  });
  if (!answer) return;
  op.answered = true;
  if (typeof answer.headers["x-restate-id"] === "string") op.ids.push(answer.headers["x-restate-id"] as string);
  const body = answer.body as { invocationId?: string } | string | undefined;
  const ok = op.send ? answer.status === 202 && typeof (body as { invocationId?: string })?.invocationId === "string" : answer.status === 200 && body === `${op.effect}/c`;
  if (!ok) return void s.violations.push(`bad-answer: chain ${op.effect}: ${answer.status} ${JSON.stringify(answer.body)}`);
  if (op.send) op.ids.push((body as { invocationId: string }).invocationId);
  op.acknowledged = true;
}

async function checkChain(s: Scenario, ops: readonly ChainOp[]): Promise<void> {
  const acknowledged = ops.filter((op) => op.acknowledged);
  const steps = acknowledged.flatMap((op) => [`${op.effect}/a1`, `${op.effect}/c`, `${op.effect}/a2`]);
  await until(() => s.recorder.ranAll(steps), 60_000, 500);
  for (const op of acknowledged) {
    for (const step of ["a1", "c", "a2"]) {
      if (!s.recorder.executions.has(`${op.effect}/${step}`)) s.violations.push(`chain-unfinished: ${op.effect} (${op.send ? "sent" : "called"}) never ran step ${step}`);
    }
  }
  for (const op of ops) if (!op.answered) s.violations.push(`unanswered: chain ${op.effect}`);
  // A sent A's result, by attach: what its call to B answered.
  for (const op of acknowledged.filter((op) => op.send)) {
    const attached = await s.client.definitive({ method: "GET", path: `/restate/invocation/${encodeURIComponent(op.ids.at(-1)!)}/attach` });
    if (attached?.status !== 200 || attached.body !== `${op.effect}/c`) s.violations.push(`attach: chain ${op.effect}: ${attached?.status} ${JSON.stringify(attached?.body)}`);
  }
  await checkInvocations(s, ops.flatMap((op) => op.ids), 60_000);
}
