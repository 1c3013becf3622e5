/**
 * Targeted chaos, "timers": sleeps and delayed sends (`/send?delay=`) pending when the
 * runtime is SIGKILLed, and the runtime left down longer than any of them, so at restart
 * every one is far past due (the alarm workerd stored may be lost: the object must re-arm).
 *
 * Every other kill is aimed at a sleeper's step after its sleep (the alarm handler is running).
 *
 * Checked: every acknowledged nap ran its step after the sleep, every acknowledged delayed
 * send ran, none before its time, every invocation completed.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { aimAt, checkInvocations, crash, until, type Scenario } from "./targeted-harness.js";
import { TARGETED } from "./targeted-protocol.js";

interface TimerOp {
  effect: string;
  /** The sleep inside the nap. */
  ms: number;
  /** The send's delay (0: a call or a plain send). */
  delayMs: number;
  send: boolean;
  startedAt: number;
  acknowledged: boolean;
  answered: boolean;
  ids: string[];
}

const CLIENTS = 8;
const MAX_OPS_PER_CLIENT = 100;
/** Longer than any sleep plus delay: at restart all of them are due. */
const DOWN_MS = 4_000;
const CLOCK_SLACK_MS = 10;

export async function timersScenario(s: Scenario, kills: number): Promise<{ ops: number; acknowledged: number }> {
  const ops: TimerOp[] = [];
  let stopped = false;
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let n = 0; !stopped && n < MAX_OPS_PER_CLIENT; n++) {
      const kind = s.rand.random();
      const op: TimerOp = {
        effect: `tm-${client}-${n}`, ms: 300 + Math.floor(s.rand.random() * 1_200), delayMs: kind < 0.4 ? 200 + Math.floor(s.rand.random() * 1_500) : 0,
        send: kind < 0.7, startedAt: Date.now(), acknowledged: false, answered: false, ids: [],
      };
      ops.push(op);
      await runTimerOp(s, op);
      await sleep(Math.floor(s.rand.random() * 200));
    }
  });
  for (let k = 0; k < kills; k++) {
    await sleep(2_000 + Math.floor(s.rand.random() * 2_000));
    // Every other kill is aimed at a sleeper's step after its sleep: inside the alarm that woke it.
    if (k % 2 === 1) await aimAt(s, "/after", 10_000);
    await crash(s, DOWN_MS);
  }
  await sleep(1_000);
  stopped = true;
  await Promise.all(clients);
  await checkTimers(s, ops);
  return { ops: ops.length, acknowledged: ops.filter((op) => op.acknowledged).length };
}

async function runTimerOp(s: Scenario, op: TimerOp): Promise<void> {
  const suffix = op.send ? `/send${op.delayMs > 0 ? `?delay=${op.delayMs}ms` : ""}` : "";
  const answer = await s.client.definitive({ method: "POST", path: `/${TARGETED.napper}/nap${suffix}`, body: { effect: op.effect, ms: op.ms }, headers: { "idempotency-key": op.effect } });
  if (!answer) return;
  op.answered = true;
  if (typeof answer.headers["x-restate-id"] === "string") op.ids.push(answer.headers["x-restate-id"] as string);
  const id = (answer.body as { invocationId?: unknown } | undefined)?.invocationId;
  const ok = op.send ? answer.status === 202 && typeof id === "string" : answer.status === 200;
  if (!ok) return void s.violations.push(`bad-answer: nap ${op.effect}: ${answer.status} ${JSON.stringify(answer.body)}`);
  if (typeof id === "string") op.ids.push(id);
  op.acknowledged = true;
}

async function checkTimers(s: Scenario, ops: readonly TimerOp[]): Promise<void> {
  const acknowledged = ops.filter((op) => op.acknowledged);
  await until(() => s.recorder.ranAll(acknowledged.flatMap((op) => [`${op.effect}/before`, `${op.effect}/after`])), 60_000, 500);
  for (const op of acknowledged) {
    const before = s.recorder.executions.get(`${op.effect}/before`);
    const after = s.recorder.executions.get(`${op.effect}/after`);
    if (!before?.length) s.violations.push(`${op.delayMs > 0 ? "delayed-send-not-run" : "lost-effect"}: ${op.effect} never ran its first step`);
    if (!after?.length) s.violations.push(`sleep-not-woken: ${op.effect} never ran its step after the sleep`);
    if (!before?.length || !after?.length) continue;
    if (op.delayMs > 0 && before[0]!.at + CLOCK_SLACK_MS < op.startedAt + op.delayMs) s.violations.push(`ran-early: ${op.effect} started ${op.startedAt + op.delayMs - before[0]!.at} ms before its delay of ${op.delayMs} ms was up`);
    const journaled = before.filter((run) => run.at <= after[0]!.at).at(-1)!;
    if (after[0]!.at + CLOCK_SLACK_MS < journaled.at + op.ms) s.violations.push(`ran-early: ${op.effect} woke ${journaled.at + op.ms - after[0]!.at} ms before its ${op.ms} ms sleep was up`);
  }
  for (const op of ops) if (!op.answered) s.violations.push(`unanswered: nap ${op.effect}`);
  await checkInvocations(s, ops.flatMap((op) => op.ids), 60_000);
}
