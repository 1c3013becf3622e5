/**
 * What every targeted chaos scenario shares: the runtime it SIGKILLs (every process of
 * wrangler dev at once, as run.ts does), a recorder that tells the runner the moment a
 * step starts (so a kill can be aimed inside it), the retrying client, and the checks that
 * hold for every scenario (no step twice in one process; every invocation completed, as
 * its owner and, eventually, the invocation index say).
 */
import type { IncomingMessage } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { Rand } from "../../sdk/context.js";
import type { ChaosClient } from "./client.js";
import type { DevRuntime } from "./dev-runtime.js";
import { ADMIN_TOKEN, EFFECT_PATH } from "./protocol.js";
import { EffectRecorder } from "./recorder.js";

export const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** The recorder, telling `onEffect` of each step as it arrives (before it is answered). */
export class AimedRecorder extends EffectRecorder {
  onEffect: ((effect: string) => void) | undefined;

  static open(): Promise<AimedRecorder> {
    return new AimedRecorder().listen("");
  }

  protected override answer(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const path = req.url ?? "";
    if (path.startsWith(EFFECT_PATH)) this.onEffect?.(decodeURIComponent(path.slice(EFFECT_PATH.length)));
    return super.answer(req);
  }

  /** The effects recorded whose id starts with `prefix`. */
  startingWith(prefix: string): string[] {
    return [...this.executions.keys()].filter((effect) => effect.startsWith(prefix));
  }
}

export interface Scenario {
  runtime: DevRuntime;
  client: ChaosClient;
  recorder: AimedRecorder;
  rand: Rand;
  violations: string[];
  /** When each kill happened (ms since the epoch). */
  killedAt: number[];
}

/** SIGKILLs every process of the runtime, leaves it down `downMs` (the clock runs on), starts it again (and may kill it again while it recovers). */
export async function crash(s: Scenario, downMs = 0): Promise<void> {
  s.killedAt.push(Date.now());
  const report = await s.runtime.kill();
  for (const survivor of report.survivors) s.violations.push(`survivor: ${survivor}`);
  if (downMs > 0) await sleep(downMs);
  await s.runtime.start();
  // One kill in three is followed by another soon after the restart: while the objects recover (alarms fire, rows redeliver).
  if (s.rand.random() < 1 / 3) {
    await sleep(50 + Math.floor(s.rand.random() * 450));
    s.killedAt.push(Date.now());
    const again = await s.runtime.kill();
    for (const survivor of again.survivors) s.violations.push(`survivor: ${survivor}`);
    await s.runtime.start();
  }
}

/**
 * Kills `kills` times, each a seeded 0–30 ms after the next request the load announces with
 * `acting()` (one that completes or acts on something) left the client; resolves 2 s after the last.
 */
export function killsAtActions(s: Scenario, kills: number): { acting: () => void; done: Promise<void> } {
  let aim: (() => void) | undefined;
  const acting = () => {
    aim?.();
    aim = undefined;
  };
  const done = (async () => {
    for (let k = 0; k < kills; k++) {
      await sleep(1_500 + Math.floor(s.rand.random() * 1_500));
      await Promise.race([new Promise<void>((resolve) => (aim = resolve)), sleep(10_000)]);
      aim = undefined;
      await sleep(Math.floor(s.rand.random() * 30));
      await crash(s);
    }
    await sleep(2_000);
  })();
  return { acting, done };
}

/** Resolves when a step whose effect id ends with `suffix` starts (or after `ms`): the moment to aim a kill at. */
export async function aimAt(s: Scenario, suffix: string, ms: number): Promise<void> {
  const aimed = new Promise<void>((resolve) => {
    s.recorder.onEffect = (effect) => {
      if (effect.endsWith(suffix)) resolve();
    };
  });
  await Promise.race([aimed, sleep(ms)]);
  s.recorder.onEffect = undefined;
}

/** Waits until `done()` or `ms` passed (running `step` before each look); resolves whether it became true. */
export async function until(done: () => boolean, ms: number, pollMs = 200, step?: () => Promise<void>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    await step?.();
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(pollMs);
  }
}

/** A step may run twice only in two processes (a crash came before its result was journaled). */
export function checkNoDuplicateWithoutCrash(s: Scenario): void {
  for (const [effect, runs] of s.recorder.executions) {
    const boots = runs.map((run) => run.boot);
    if (new Set(boots).size < boots.length) s.violations.push(`duplicate-without-crash: step '${effect}' ran ${runs.length} times in ${new Set(boots).size} process(es)`);
  }
}

/** The owner's word on an invocation: its status and result ("unknown" for a 404). */
export async function ownerStatus(s: Scenario, id: string): Promise<string> {
  const answer = await s.client.definitive({ method: "GET", path: `/restate/admin/invocations/${encodeURIComponent(id)}`, headers: ADMIN });
  if (!answer) return "no answer";
  if (answer.status === 404) return "unknown";
  const body = answer.body as { status?: string; completion_result?: string | null; completion_failure?: string | null } | undefined;
  if (body?.status !== "completed") return String(body?.status ?? `admin answered ${answer.status}`);
  return body.completion_result === "success" ? "completed" : `completed with ${body.completion_failure ?? body.completion_result}`;
}

/** One `POST /query` over the invocation index (the query must not pin ids, or the owners answer). */
export async function indexQuery(s: Scenario, query: string): Promise<Record<string, unknown>[] | string> {
  const answer = await s.client.definitive({ method: "POST", path: "/restate/admin/query", body: { query }, headers: { ...ADMIN, accept: "application/json" } });
  const rows = (answer?.body as { rows?: Record<string, unknown>[] } | undefined)?.rows;
  return answer?.status === 200 && rows ? rows : `query answered ${answer?.status ?? "nothing"} ${JSON.stringify(answer?.body)?.slice(0, 200)}`;
}

/**
 * Every id completed successfully as its owner says, and the index, fed off the commit
 * path and repaired after crashes, eventually says the same of each and lists nothing
 * unfinished anywhere (`ms` bounds the wait).
 */
export async function checkInvocations(s: Scenario, ids: readonly string[], ms: number, outcomes: ReadonlyMap<string, RegExp> = new Map()): Promise<void> {
  const unique = [...new Set(ids)];
  const deadline = Date.now() + ms;
  let open = unique;
  while (open.length > 0) {
    const statuses = await Promise.all(open.map((id) => ownerStatus(s, id)));
    const expected = (id: string, status: string) => (outcomes.get(id) ?? /^completed$/).test(status);
    const still = open.filter((id, i) => !expected(id, statuses[i]!));
    if (still.length > 0 && Date.now() >= deadline) {
      open.forEach((id, i) => !expected(id, statuses[i]!) && s.violations.push(`wrong-outcome: ${id} is ${statuses[i]} at its owner, expected ${outcomes.get(id) ?? "completed"}`));
      break;
    }
    open = still;
    if (open.length > 0) await sleep(500);
  }
  await checkIndex(s, unique, deadline);
}

async function checkIndex(s: Scenario, ids: readonly string[], deadline: number): Promise<void> {
  let problems: string[] = [];
  do {
    problems = [];
    const unfinished = await indexQuery(s, "SELECT id, target, status FROM sys_invocation WHERE status <> 'completed' LIMIT 20");
    if (typeof unfinished === "string") problems.push(unfinished);
    else for (const row of unfinished) problems.push(`index-unfinished: ${String(row.id)} (${String(row.target)}) is ${String(row.status)} in the index`);
    for (let i = 0; i < ids.length; i += 100) {
      const batch = ids.slice(i, i + 100);
      // `id || ''` is not a pin, so the index shards answer rather than the owners.
      const rows = await indexQuery(s, `SELECT id, status FROM sys_invocation WHERE id || '' IN (${batch.map((id) => `'${id}'`).join(", ")})`);
      if (typeof rows === "string") {
        problems.push(rows);
        continue;
      }
      const seen = new Map(rows.map((row) => [String(row.id), String(row.status)]));
      for (const id of batch) if (seen.get(id) !== "completed") problems.push(`index-mismatch: ${id} is ${seen.get(id) ?? "missing"} in the index, completed at its owner`);
    }
    if (problems.length === 0) return;
    await sleep(1_000);
  } while (Date.now() < deadline);
  s.violations.push(...problems.slice(0, 20), ...(problems.length > 20 ? [`… and ${problems.length - 20} more index problems`] : []));
}
