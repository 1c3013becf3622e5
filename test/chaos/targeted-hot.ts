/**
 * Targeted chaos, "hot": many clients on one hot key (their adds share commit groups),
 * some adds to keys never touched before (the object is created in the commit the kill
 * may hit; a burst of 48 of them just before each kill), a third of the requests sent twice at once with one idempotency key (the
 * duplicate must latch onto the first). Kills at short seeded intervals.
 *
 * Checked: every acknowledged add counted once (count within acknowledged..issued), no
 * two calls answered the same count, each client's adds ran in its order (the fixture
 * counts `disorder`), duplicates answered alike, every invocation completed.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Answer } from "./client.js";
import { checkInvocations, crash, type Scenario } from "./targeted-harness.js";
import { TARGETED, type HotState } from "./targeted-protocol.js";

interface HotOp {
  client: number;
  seq: number;
  key: string;
  send: boolean;
  dup: boolean;
  answered: boolean;
  acknowledged: boolean;
  count?: number;
  ids: string[];
}

const CLIENTS = 12;
const MAX_OPS_PER_CLIENT = 1_500;
const HOT_KEY = "hot";
/** First-time keys added to just before each kill. */
const BURST = 48;

export async function hotScenario(s: Scenario, kills: number): Promise<{ ops: number; acknowledged: number }> {
  const ops: HotOp[] = [];
  let stopped = false;
  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    for (let seq = 0; !stopped && seq < MAX_OPS_PER_CLIENT; seq++) {
      const fresh = s.rand.random() < 0.15;
      const op: HotOp = { client, seq, key: fresh ? `fresh-${client}-${seq}` : HOT_KEY, send: s.rand.random() < 0.4, dup: s.rand.random() < 0.3, answered: false, acknowledged: false, ids: [] };
      ops.push(op);
      await runHotOp(s, op);
      // An unanswered add leaves the order unknown: the client stops rather than race it.
      if (!op.answered) return;
    }
  });
  const bursts: Promise<unknown>[] = [];
  for (let k = 0; k < kills; k++) {
    await sleep(1_500 + Math.floor(s.rand.random() * 2_500));
    // Just before the kill, a burst of first adds to keys never touched: objects created in the commits it hits.
    bursts.push(Promise.all(Array.from({ length: BURST }, (_, i) => {
      const op: HotOp = { client: CLIENTS + k, seq: i, key: `burst-${k}-${i}`, send: i % 2 === 0, dup: i % 3 === 0, answered: false, acknowledged: false, ids: [] };
      ops.push(op);
      return runHotOp(s, op);
    })));
    await sleep(Math.floor(s.rand.random() * 60));
    await crash(s);
  }
  await Promise.all(bursts);
  await sleep(2_000);
  stopped = true;
  await Promise.all(clients);
  await checkHot(s, ops);
  return { ops: ops.length, acknowledged: ops.filter((op) => op.acknowledged).length };
}

async function runHotOp(s: Scenario, op: HotOp): Promise<void> {
  const req = {
    method: "POST" as const,
    path: `/${TARGETED.hot}/${op.key}/add${op.send ? "/send" : ""}`,
    body: { client: op.client, seq: op.seq },
    headers: { "idempotency-key": `hot-${op.client}-${op.seq}` },
  };
  const answers = await Promise.all(Array.from({ length: op.dup ? 2 : 1 }, () => s.client.definitive(req)));
  if (answers.some((a) => a === undefined)) return;
  op.answered = true;
  const where = `hot ${op.send ? "send" : "call"} ${op.client}/${op.seq} on ${op.key}${op.dup ? " (sent twice)" : ""}`;
  const values = answers.map((a) => judge(a!, op.send));
  for (const a of answers) if (typeof a!.headers["x-restate-id"] === "string") op.ids.push(a!.headers["x-restate-id"] as string);
  if (values.some((v) => v === undefined)) {
    s.violations.push(`bad-answer: ${where}: ${answers.map((a) => `${a!.status} ${JSON.stringify(a!.body)}`).join(" / ")}`);
    return;
  }
  if (new Set(values.map(String)).size > 1) s.violations.push(`duplicate-not-latched: ${where} answered ${values.join(" and ")}`);
  op.acknowledged = true;
  if (op.send) op.ids.push(String(values[0]));
  else op.count = Number(values[0]);
}

/** A call's count, or a send's invocation id; undefined for any other answer. */
function judge(answer: Answer, send: boolean): string | number | undefined {
  if (!send) return answer.status === 200 && typeof answer.body === "number" ? answer.body : undefined;
  const body = answer.body as { invocationId?: unknown; status?: unknown } | undefined;
  const ok = answer.status === 202 && typeof body?.invocationId === "string" && ["Accepted", "PreviouslyAccepted"].includes(String(body.status));
  return ok ? String(body!.invocationId) : undefined;
}

async function checkHot(s: Scenario, ops: readonly HotOp[]): Promise<void> {
  const byKey = new Map<string, HotOp[]>();
  for (const op of ops) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  for (const [key, keyOps] of byKey) {
    const acknowledged = keyOps.filter((op) => op.acknowledged).length;
    // Accepted sends may still be queued: wait (bounded) until the count reaches the acknowledged ones.
    let state: HotState | undefined;
    const deadline = Date.now() + 60_000;
    do {
      const answer = await s.client.definitive({ method: "POST", path: `/${TARGETED.hot}/${key}/get` });
      state = answer?.status === 200 ? (answer.body as HotState) : undefined;
      if (state && state.count >= acknowledged) break;
      await sleep(500);
    } while (Date.now() < deadline);
    if (!state || state.count < acknowledged || state.count > keyOps.length) {
      s.violations.push(`counter-mismatch: ${key} is ${state?.count ?? "unreadable"}, expected ${acknowledged}..${keyOps.length}`);
    }
    if (state && state.disorder > 0) s.violations.push(`order-broken: ${key}: ${state.disorder} adds ran after a later add of the same client`);
    const seen = new Map<number, string>();
    for (const op of keyOps) {
      if (op.count === undefined) continue;
      const other = seen.get(op.count);
      if (other) s.violations.push(`duplicate-answer: ${key}: ${other} and ${op.client}/${op.seq} both answered ${op.count}`);
      seen.set(op.count, `${op.client}/${op.seq}`);
    }
  }
  for (const op of ops) if (!op.answered) s.violations.push(`unanswered: hot ${op.client}/${op.seq} on ${op.key}`);
  await checkInvocations(s, ops.flatMap((op) => op.ids), 60_000);
}
