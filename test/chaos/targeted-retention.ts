/**
 * Targeted chaos on retention (run among the "operator" scenario's kinds): an idempotent
 * invocation of `keeper` (retention KEEPER_RETENTION_MS) completes; a kill is aimed just
 * before its retention ends, so the end passes while the runtime is down or restarting; or
 * it is purged, the kill aimed just after the purge left.
 *
 * Checked (README: "later ones get the stored response … until the retention period ends";
 * purge: "its journal and result go; its idempotency key can be used again"):
 * - a repeat answered before the retention can have ended gets the stored answer (same run);
 * - once it has ended, the invocation is gone everywhere: its owner does not know it, the
 *   index does not list it, and a repeat with the same key runs anew (a new run, recorded);
 * - a purge answered 202 is gone at its owner at once, and its key runs anew.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { indexQuery, ownerStatus, ADMIN, type Scenario } from "./targeted-harness.js";
import { KEEPER_RETENTION_MS, TARGETED } from "./targeted-protocol.js";

interface KeptOp {
  effect: string;
  purge: boolean;
  id?: string;
  /** The run (uuid) the first answer named. */
  run?: string;
  /** When the first request was first sent, and when it was answered. */
  sentAt: number;
  answeredAt: number;
  expires?: string;
}

/** How long after the retention's end its owner's alarm may take to forget it, when nothing crashed. */
const GRACE_MS = 1_000;
/** Aim the kill this long before the end (a restart takes longer, so the end passes while down). */
const AIM_BEFORE_END_MS = 50;

/** One kept invocation named `effect` through its end (or its purge, calling `acting` just before the kill is due); whether it was answered. */
export async function keptOp(s: Scenario, effect: string, purge: boolean, acting: () => void): Promise<boolean> {
  const op: KeptOp = { effect, purge, sentAt: Date.now(), answeredAt: 0 };
  await keepAndForget(s, op, acting);
  return op.run !== undefined;
}

async function keep(s: Scenario, op: KeptOp): Promise<{ run: string; id: string; expires: string | undefined } | undefined> {
  const answer = await s.client.definitive({ method: "POST", path: `/${TARGETED.keeper}/keep`, body: { effect: op.effect }, headers: { "idempotency-key": op.effect } });
  const id = answer?.headers["x-restate-id"];
  if (answer?.status === 200 && typeof answer.body === "string" && typeof id === "string") {
    const expires = answer.headers["idempotency-expires"];
    return { run: answer.body, id, expires: typeof expires === "string" ? expires : undefined };
  }
  if (answer) s.violations.push(`bad-answer: keep ${op.effect}: ${answer?.status} ${JSON.stringify(answer?.body)}`);
  return undefined;
}

/** The invocation, a repeat inside its retention, then its end (or a purge) and a repeat after it. */
async function keepAndForget(s: Scenario, op: KeptOp, acting: () => void): Promise<void> {
  const first = await keep(s, op);
  if (!first) return;
  op.answeredAt = Date.now();
  op.run = first.run;
  op.id = first.id;
  if (first.expires !== undefined) op.expires = first.expires;
  const endsBy = op.answeredAt + KEEPER_RETENTION_MS;
  const repeatSent = Date.now();
  const repeat = await keep(s, op);
  if (repeat && repeat.run !== op.run) {
    if (Date.now() < op.sentAt + KEEPER_RETENTION_MS) s.violations.push(`kept-lost: ${op.effect}: a repeat sent ${repeatSent - op.answeredAt} ms after the answer, inside retention, ran anew (${repeat.run}, first ${op.run})`);
    // Else a kill held the repeat until after the end: it ran anew, rightly, and the end is not this op's to check.
    return;
  }
  if (op.purge) {
    acting();
    const purged = await s.client.definitive({ method: "PATCH", path: `/restate/admin/invocations/${encodeURIComponent(op.id)}/purge`, headers: ADMIN });
    if (purged?.status !== 202 && purged?.status !== 404) {
      if (purged) s.violations.push(`bad-answer: purge ${op.effect}: ${purged.status} ${JSON.stringify(purged.body)}`);
      return;
    }
    const status = await ownerStatus(s, op.id);
    if (status !== "unknown") s.violations.push(`purge-not-gone: ${op.id} (${op.effect}) was purged but its owner says ${status}`);
  } else {
    await sleep(Math.max(0, endsBy - AIM_BEFORE_END_MS - Date.now()));
    acting();
    await sleep(Math.max(0, endsBy + GRACE_MS - Date.now()));
    await checkGone(s, op);
  }
  const again = await keep(s, op);
  if (!again) return;
  if (again.run === op.run) s.violations.push(`not-renewed: ${op.effect}: a repeat after ${op.purge ? "its purge" : "its retention ended"} got the stored answer (run ${op.run}, idempotency-expires ${again.expires})`);
  else if (!s.recorder.executions.has(`${op.effect}/${again.run}`)) s.violations.push(`renewed-not-run: ${op.effect}: a repeat answered run ${again.run}, which never ran`);
}

/** Retention ended: its owner does not know the invocation, and the index does not list it. */
async function checkGone(s: Scenario, op: KeptOp): Promise<void> {
  const owner = await s.client.definitive({ method: "GET", path: `/restate/admin/invocations/${encodeURIComponent(op.id!)}`, headers: ADMIN });
  const rows = await indexQuery(s, `SELECT id, status, completed_at, completion_expires_at FROM sys_invocation WHERE id || '' = '${op.id}'`);
  const listed = typeof rows === "string" ? rows : rows.length > 0 ? `lists it ${JSON.stringify(rows[0])}` : "lists nothing";
  if (owner?.status !== 404 || listed !== "lists nothing") {
    const said = owner?.status === 200 ? JSON.stringify({ ...(owner.body as object), journal: undefined }) : `${owner?.status ?? "nothing"}`;
    s.violations.push(`not-gone: ${op.id} (${op.effect}, first answered ${new Date(op.answeredAt).toISOString()}, idempotency-expires ${op.expires}) ${Date.now() - op.answeredAt - KEEPER_RETENTION_MS} ms after its retention ended: its owner says ${said}, the index ${listed}`);
  }
}
