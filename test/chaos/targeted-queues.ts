/**
 * Targeted chaos on what waits in queues when the runtime dies:
 *
 * - "outbox": each operation is one invocation sending 8 adds (and one call among them)
 *   to a hot key; kills leave rows in outboxes, their deliveries failed. Checked: each
 *   target's count is 8 × the acknowledged fans, and no add ran after a later one of the
 *   same fan (order kept across redeliveries).
 * - "limits": a burst of sends at a concurrency limit of 2 per limit key, each step held
 *   open, so slots are held and waiters queue when the kills land. Checked: never more
 *   than 2 ran at once per key, every accepted send ran, every invocation completed.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { checkInvocations, crash, until, type Scenario } from "./targeted-harness.js";
import { LIMITED_AT_ONCE, TARGETED, type HotState } from "./targeted-protocol.js";

export interface QueuedOp {
  id: string;
  target: string;
  answered: boolean;
  acknowledged: boolean;
  ids: string[];
}

const FAN = 8;
const FAN_CLIENTS = 6;
const MAX_FANS_PER_CLIENT = 200;
const TARGETS = 2;

export async function outboxScenario(s: Scenario, kills: number): Promise<{ ops: number; acknowledged: number }> {
  const ops: QueuedOp[] = [];
  let stopped = false;
  const clients = Array.from({ length: FAN_CLIENTS }, async (_, client) => {
    for (let n = 0; !stopped && n < MAX_FANS_PER_CLIENT; n++) {
      const op: QueuedOp = { id: String(client * MAX_FANS_PER_CLIENT + n), target: `t${Math.floor(s.rand.random() * TARGETS)}`, answered: false, acknowledged: false, ids: [] };
      ops.push(op);
      const send = s.rand.random() < 0.5;
      const body = { client: Number(op.id), n: FAN, target: op.target };
      await submit(s, op, `/${TARGETED.sender}/s${client % 3}/fan${send ? "/send" : ""}`, body, {}, send ? 202 : 200);
    }
  });
  await killRepeatedly(s, kills);
  stopped = true;
  await Promise.all(clients);
  for (let t = 0; t < TARGETS; t++) {
    const fans = ops.filter((op) => op.target === `t${t}`);
    const acknowledged = fans.filter((op) => op.acknowledged).length * FAN;
    let state: HotState | undefined;
    await until(() => (state?.count ?? -1) >= acknowledged, 60_000, 500, async () => {
      const answer = await s.client.definitive({ method: "POST", path: `/${TARGETED.hot}/t${t}/get` });
      state = answer?.status === 200 ? (answer.body as HotState) : undefined;
    });
    if (!state || state.count < acknowledged || state.count > fans.length * FAN) s.violations.push(`counter-mismatch: t${t} is ${state?.count ?? "unreadable"}, expected ${acknowledged}..${fans.length * FAN}`);
    if (state && state.disorder > 0) s.violations.push(`order-broken: t${t}: ${state.disorder} adds ran after a later add of the same sender`);
  }
  await finish(s, ops);
  return { ops: ops.length, acknowledged: ops.filter((op) => op.acknowledged).length };
}

const BURST = 240;
const BURST_PARALLEL = 24;
const LIMIT_KEYS = ["", "m1", "m2"];
const HOLD_MS = 100;

export async function limitsScenario(s: Scenario, kills: number): Promise<{ ops: number; acknowledged: number }> {
  const ops: QueuedOp[] = Array.from({ length: BURST }, (_, i) => ({ id: `lim-${i}`, target: LIMIT_KEYS[i % LIMIT_KEYS.length]!, answered: false, acknowledged: false, ids: [] }));
  let next = 0;
  const workers = Array.from({ length: BURST_PARALLEL }, async () => {
    while (next < ops.length) {
      const op = ops[next++]!;
      const headers: Record<string, string> = op.target ? { "x-restate-limit-key": op.target } : {};
      await submit(s, op, `/${TARGETED.limited}/work/send`, { effect: op.id, ms: HOLD_MS }, headers, 202);
    }
  });
  await killRepeatedly(s, kills);
  await Promise.all(workers);
  const acknowledged = ops.filter((op) => op.acknowledged);
  // 240 steps of 100 ms, 2 at a time on each of 3 keys: about 4 s once the kills are over.
  await until(() => s.recorder.ranAll(acknowledged.map((op) => op.id)), 90_000, 500);
  for (const op of acknowledged) if (!s.recorder.executions.has(op.id)) s.violations.push(`send-not-run: limited ${op.id} (key '${op.target}') never ran`);
  for (const [group, max] of s.recorder.maxInFlight) {
    if (group.startsWith("limit:") && max > LIMITED_AT_ONCE) s.violations.push(`over-limit: ${group}: ${max} ran at once, over ${LIMITED_AT_ONCE}`);
  }
  await finish(s, ops);
  return { ops: ops.length, acknowledged: acknowledged.length };
}

async function killRepeatedly(s: Scenario, kills: number): Promise<void> {
  for (let k = 0; k < kills; k++) {
    await sleep(1_000 + Math.floor(s.rand.random() * 2_000));
    await crash(s);
  }
  await sleep(1_500);
}

/** One request until answered: acknowledged when its status is `status` (a send's id kept). */
export async function submit(s: Scenario, op: QueuedOp, path: string, body: unknown, headers: Record<string, string>, status: number): Promise<void> {
  const answer = await s.client.definitive({ method: "POST", path, body, headers: { "idempotency-key": op.id, ...headers } });
  if (!answer) return;
  op.answered = true;
  if (typeof answer.headers["x-restate-id"] === "string") op.ids.push(answer.headers["x-restate-id"] as string);
  const id = (answer.body as { invocationId?: unknown } | undefined)?.invocationId;
  if (typeof id === "string") op.ids.push(id);
  if (answer.status === status) op.acknowledged = true;
  else s.violations.push(`bad-answer: ${path} ${op.id}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

export async function finish(s: Scenario, ops: readonly QueuedOp[]): Promise<void> {
  for (const op of ops) if (!op.answered) s.violations.push(`unanswered: ${op.id}`);
  await checkInvocations(s, ops.flatMap((op) => op.ids), 60_000);
}
