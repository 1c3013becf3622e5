/**
 * Targeted chaos, "regrant": a concurrency limit of 1 per limit key, every slot taken and
 * waiters queued, each kill aimed at the moment a holder's step ends (its end commits,
 * its release — sent once, after the commit — leaves, the next waiter is granted), so
 * releases are lost with the process.
 *
 * Checked (README, Concurrency and rate limits): never two holders at once on a key; every
 * accepted send runs and completes; and a lost release comes back in the documented time —
 * "while every slot is taken and someone waits, it asks again about slots held over 5 s":
 * no key's queue stands still longer than STALL_BOUND_MS while the runtime is up.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { REGRANT_AFTER_MS } from "../../src/engine/limiter.js";
import { ADMIN, aimAt, crash, until, type Scenario } from "./targeted-harness.js";
import { LIMITED_ONE_AT_ONCE, TARGETED } from "./targeted-protocol.js";
import { finish, submit, type QueuedOp } from "./targeted-queues.js";

/** Many keys, so at any moment some holder is ending: a kill aimed at one lands near others' ends too. */
const KEYS = Array.from({ length: 8 }, (_, i) => `r${i}`);
const PER_KEY = 6;
const HOLD_MS = 200;
/** Two re-check periods (one may have just passed when the slot was lost) and a delivery's time. */
const STALL_BOUND_MS = 2 * REGRANT_AFTER_MS + 2_000;
/** A gap this long is counted as a stall (reported, not a violation). */
const STUCK_MS = 1_500;

export async function regrantScenario(s: Scenario, kills: number): Promise<{ ops: number; acknowledged: number }> {
  const ops: QueuedOp[] = Array.from({ length: KEYS.length * PER_KEY }, (_, i) => ({ id: `rg-${i}`, target: KEYS[i % KEYS.length]!, answered: false, acknowledged: false, ids: [] }));
  // Sent in order per key, so each key's queue has its waiters when the kills land.
  const senders = KEYS.map(async (key) => {
    for (const op of ops.filter((o) => o.target === key)) {
      await submit(s, op, `/${TARGETED.limitedOne}/work/send`, { effect: op.id, ms: HOLD_MS }, { "x-restate-limit-key": key }, 202);
    }
  });
  const upAt: number[] = [Date.now()];
  for (let k = 0; k < kills; k++) {
    await aimAt(s, "", 5_000);
    // Inside the holder's end: its step's effect answers after HOLD_MS, then it commits its end and sends its release.
    await sleep(HOLD_MS + Math.floor(s.rand.random() * 20));
    await crash(s);
    upAt.push(Date.now());
  }
  await Promise.all(senders);
  const acknowledged = ops.filter((op) => op.acknowledged);
  await until(() => s.recorder.ranAll(acknowledged.map((op) => op.id)), 60_000, 250);
  for (const op of acknowledged) if (!s.recorder.executions.has(op.id)) s.violations.push(`send-not-run: ${op.id} (key '${op.target}') never ran`);
  for (const [group, max] of s.recorder.maxInFlight) {
    if (group.startsWith("limitOne:") && max > LIMITED_ONE_AT_ONCE) s.violations.push(`over-limit: ${group}: ${max} ran at once, over ${LIMITED_ONE_AT_ONCE}`);
  }
  const gaps = KEYS.flatMap((key) => stallsOf(s, key, acknowledged.filter((op) => op.target === key), upAt));
  const stuck = gaps.filter((gap) => gap > STUCK_MS);
  // A stall is a replay after the restart or a lost release the re-check found: either way the slot came back.
  console.log(`regrant: a key's queue stood still over ${STUCK_MS} ms ${stuck.length} time(s) (longest ${Math.max(0, ...gaps)} ms, bound ${STALL_BOUND_MS} ms)`);
  // Every invocation completed (and released, or lost its release) before the limiters are asked.
  await finish(s, ops);
  const followUps = await checkHeldAfterwards(s);
  await finish(s, followUps);
  return { ops: ops.length + followUps.length, acknowledged: acknowledged.length + followUps.filter((op) => op.acknowledged).length };
}

/** Each key's running count, as its limiter tells (`GET limits/scopes/{scope}`). */
async function runningByKey(s: Scenario): Promise<Map<string, number>> {
  const answer = await s.client.definitive({ method: "GET", path: `/restate/admin/limits/scopes/${TARGETED.limitedOne}`, headers: ADMIN });
  const keys = (answer?.body as { keys?: { limit_key: string; running: number }[] } | undefined)?.keys ?? [];
  return new Map(keys.map((k) => [k.limit_key, k.running]));
}

/**
 * Every send ended: a key whose limiter still counts a holder lost a release with a crash.
 * The limiter finds it once someone waits: one more send on that key must run within
 * STALL_BOUND_MS, and then nothing is held. The follow-ups, to be checked as the others.
 */
async function checkHeldAfterwards(s: Scenario): Promise<QueuedOp[]> {
  const held = [...(await runningByKey(s))].filter(([, running]) => running > 0);
  console.log(`regrant: ${held.length} key(s) still held a slot after every send ended (a release lost with a crash)`);
  const followUps = held.map(([key]): QueuedOp => ({ id: `rg-after-${key}`, target: key, answered: false, acknowledged: false, ids: [] }));
  await Promise.all(followUps.map((op) => submit(s, op, `/${TARGETED.limitedOne}/work/send`, { effect: op.id, ms: 0 }, { "x-restate-limit-key": op.target }, 202)));
  const sentAt = Date.now();
  await until(() => s.recorder.ranAll(followUps.filter((op) => op.acknowledged).map((op) => op.id)), STALL_BOUND_MS, 250);
  for (const op of followUps.filter((op) => op.acknowledged && !s.recorder.executions.has(op.id))) {
    s.violations.push(`slot-not-back: key '${op.target}' held a slot after every send ended, and a send waiting behind it did not start within ${Date.now() - sentAt} ms`);
  }
  let running = new Map<string, number>();
  await until(() => [...running.values()].every((n) => n === 0), 10_000, 500, async () => void (running = await runningByKey(s)));
  for (const [key, n] of running) if (n > 0) s.violations.push(`slot-leaked: key '${key}' still counts ${n} holder(s) after every send ended`);
  return followUps;
}

/**
 * The gaps between one key's starts (each send's first execution, in time order) after the
 * step before ended, counted from the latest restart inside a gap: one over STALL_BOUND_MS is a
 * slot that did not come back.
 */
function stallsOf(s: Scenario, key: string, ops: readonly QueuedOp[], upAt: readonly number[]): number[] {
  const starts = ops.flatMap((op) => s.recorder.executions.get(op.id)?.slice(0, 1).map((run) => run.at) ?? []).sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < starts.length; i++) {
    const gap = starts[i]! - Math.max(starts[i - 1]! + HOLD_MS, ...upAt.filter((at) => at < starts[i]!));
    gaps.push(gap);
    if (gap > STALL_BOUND_MS) s.violations.push(`slot-not-back: key '${key}': no start for ${gap} ms while the runtime was up (bound ${STALL_BOUND_MS} ms) before ${new Date(starts[i]!).toISOString()}`);
  }
  return gaps;
}
