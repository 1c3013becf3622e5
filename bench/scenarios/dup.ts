/**
 * Idempotent duplicates (issue #3): W3's `counter.add(1)` where every
 * idempotency key is sent twice — half of the second copies right after the
 * first (usually while it is in flight, so they latch onto it), half some 100
 * calls later (usually after it answered, so they get the stored response) —
 * against the same calls without idempotency keys or duplicates ("w3-plain",
 * W3's 1,000-key throughput run).
 *
 * Checks: both copies of a key answer the same count; on each counter key the
 * distinct answers are base+1..base+m; and the final count is base + m, where m
 * is the number of DISTINCT idempotency keys acknowledged there. Anything else
 * means a duplicate was applied twice (or an add lost), and is printed at once.
 */
import { closedLoop, type Http } from "../harness/load.js";
import type { RunContext, Scenario, Workload } from "../harness/types.js";
import { describe, throughputMeasurement, warmUpLoop } from "./common.js";
import {
  checkAnswers,
  checkFinalCounts,
  counterTarget,
  countByKey,
  isResoluteReady,
  readCounts,
  resoluteCounterPath,
  type CounterTarget,
} from "./counter.js";

interface DupTarget extends CounterTarget {
  /** Sends each add twice with one idempotency key. */
  readonly duplicates: boolean;
}

const resolute: DupTarget = { ...counterTarget("resolute", resoluteCounterPath, isResoluteReady), duplicates: true };
const plain: DupTarget = { ...counterTarget("w3-plain", resoluteCounterPath, isResoluteReady), duplicates: false };

/** Restate itself, sending the same duplicates to the same object on its ingress. */
const restate: DupTarget = {
  ...counterTarget("restate", resoluteCounterPath, async (http) => typeof (await http.postJson("/counter/ready/add", 0)) === "number"),
  duplicates: true,
};

const CLIENTS = 64;
const KEYS = 1_000;
/** The second copy of every other key is sent this many adds after the first. */
const LATE_BY = 64;
const counterKeys = (ctx: RunContext) => Array.from({ length: KEYS }, (_, i) => `${ctx.runId}-k${i}`);
const idempotencyKey = (ctx: RunContext, add: number) => `${ctx.runId}-add${add}`;

/**
 * The order of the calls: add m's first copy, then its second right away when m
 * is even, or after add m + LATE_BY's first copy when m is odd.
 */
function callPlan(adds: number): number[] {
  const plan: number[] = [];
  for (let m = 0; m < adds; m++) {
    plan.push(m);
    if (m % 2 === 0) plan.push(m);
    const late = m - LATE_BY;
    if (late >= 0 && late % 2 === 1) plan.push(late);
  }
  for (let late = Math.max(0, adds - LATE_BY); late < adds; late++) if (late % 2 === 1) plan.push(late);
  return plan;
}

const duplicatedThroughput: Scenario<DupTarget> = {
  id: "dup-spread",
  touchesManyObjects: true,
  title: `W3 with every idempotency key sent twice (${CLIENTS} clients, ${KEYS.toLocaleString("en")} keys)`,
  unit: "req/s",
  better: "higher",
  async run(target, ctx) {
    const adds = ctx.quick ? 300 : 1_000;
    return target.duplicates ? runDuplicated(target, ctx, adds) : runPlain(target, ctx, 2 * adds);
  },
};

/** W3's spread run with as many calls as the duplicated run sends. */
async function runPlain(target: DupTarget, ctx: RunContext, calls: number) {
  const keys = counterKeys(ctx);
  const bases = await readCounts(target, ctx, keys);
  const load = await closedLoop({
    origin: ctx.origin,
    concurrency: CLIENTS,
    durationMs: 120_000,
    maxCalls: calls,
    keyOf: (i) => keys[i % keys.length]!,
    call: target.call,
  });
  const finals = await readCounts(target, ctx, keys);
  const problems = [...checkAnswers(load.samples, bases), ...checkFinalCounts(countByKey(load.samples), bases, finals)];
  return throughputMeasurement(load, problems, { clients: CLIENTS, keys: keys.length });
}

async function runDuplicated(target: DupTarget, ctx: RunContext, adds: number) {
  const keys = counterKeys(ctx);
  const keyOfAdd = (m: number) => keys[m % keys.length]!;
  const plan = callPlan(adds);
  const started = new Set<number>();
  const answered = new Set<number>();
  let whileInFlight = 0;
  const call = async (http: Http, index: string) => {
    const m = plan[Number(index)]!;
    if (started.has(m) && !answered.has(m)) whileInFlight++;
    started.add(m);
    try {
      return { m, answer: await target.add(http, keyOfAdd(m), 1, { "idempotency-key": idempotencyKey(ctx, m) }) };
    } finally {
      answered.add(m);
    }
  };

  const bases = await readCounts(target, ctx, keys);
  const load = await closedLoop({
    origin: ctx.origin,
    concurrency: CLIENTS,
    durationMs: 120_000,
    maxCalls: plan.length,
    keyOf: String,
    call,
  });
  const finals = await readCounts(target, ctx, keys);

  const answersByAdd = new Map<number, unknown[]>();
  for (const { answer } of load.samples) {
    const { m, answer: count } = answer as { m: number; answer: unknown };
    answersByAdd.set(m, [...(answersByAdd.get(m) ?? []), count]);
  }
  const problems: string[] = [];
  for (const [m, answers] of answersByAdd) {
    if (new Set(answers).size > 1) problems.push(`idempotency key ${idempotencyKey(ctx, m)} on ${keyOfAdd(m)} answered ${describe(answers)}: applied twice`);
  }
  // One answer per distinct idempotency key: the counts W3's checks expect.
  const distinct = [...answersByAdd].map(([m, answers]) => ({ key: keyOfAdd(m), answer: answers[0] }));
  problems.push(...checkAnswers(distinct, bases), ...checkFinalCounts(countByKey(distinct), bases, finals));
  const unanswered = adds - answersByAdd.size;
  if (unanswered > 0 && problems.length > 0) problems.push(`${unanswered} idempotency keys got no answer on either copy; each may have been applied once`);
  if (problems.length > 0) {
    ctx.log(`DUPLICATES: ${problems.length} WRONG — first: ${problems[0]}`);
  }
  const duplicates = plan.length - adds;
  return throughputMeasurement(load, problems, {
    clients: CLIENTS,
    keys: keys.length,
    idempotencyKeys: adds,
    distinctAddsPerSecond: answersByAdd.size / (load.elapsedMs / 1000),
    duplicatesWhileFirstInFlight: whileInFlight,
    duplicatesAfterFirstAnswered: duplicates - whileInFlight,
  });
}

export const dup: Workload<DupTarget> = {
  id: "dup",
  title: "Idempotent duplicates: W3 counter.add with every idempotency key sent twice",
  subject: resolute,
  baseline: plain,
  peers: { restate },
  /** Both systems use the same 1,000 counters: created once, untimed. */
  async prepare(ctx) {
    ctx.log(`dup: creating ${KEYS} counters`);
    await readCounts(plain, ctx, counterKeys(ctx));
  },
  warmUp(target, ctx) {
    // Calls 2i and 2i+1 go to one counter with one idempotency key.
    let calls = 0;
    const call = target.duplicates
      ? (http: Http, key: string) => target.add(http, key, 1, { "idempotency-key": `${ctx.runId}-warm-add${Math.floor(calls++ / 2)}` })
      : target.call;
    return warmUpLoop(ctx, call, (i) => `${ctx.runId}-warm${Math.floor(i / 2) % 32}`);
  },
  scenarios: [duplicatedThroughput],
};
