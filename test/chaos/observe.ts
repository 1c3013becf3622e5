/**
 * After the load: waits until nothing is pending (bounded), then asks the
 * runtime what the checker needs — each counter's value, the admin API's view
 * of every invocation an answer named, every object's unfinished invocations,
 * each workflow's output.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ChaosClient } from "./client.js";
import { expectations, type InvocationView, type Observed } from "./check.js";
import { addsToCounter, isAcknowledged, type Op } from "./ops.js";
import type { EffectRecorder } from "./recorder.js";
import { ADMIN_TOKEN, NAMES, SERVICE_SHARDS } from "./protocol.js";

const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** Every status but `completed` (the admin API's names; a suspended invocation is listed as running). */
const UNFINISHED_STATUSES = ["pending", "scheduled", "ready", "running", "backing-off", "paused"];
const POLL_MS = 500;
const PARALLEL = 8;

/**
 * Waits until every operation is answered and every step an answered operation
 * implies has run, or `deadline` passes. Resolves whether it drained.
 */
export async function drain(ops: readonly Op[], settled: Promise<unknown>, recorder: EffectRecorder, deadline: number): Promise<boolean> {
  const answered = await Promise.race([settled.then(() => true), sleep(Math.max(0, deadline - Date.now())).then(() => false)]);
  if (!answered) return false;
  const effects = ops.filter(isAcknowledged).flatMap((op) => expectations(op).map((e) => e.effect));
  while (!recorder.ranAll(effects)) {
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/** Reads the final state; invocations still running are asked again until `deadline`. */
export async function observe(client: ChaosClient, ops: readonly Op[], recorder: EffectRecorder, deadline: number): Promise<Omit<Observed, "survivors" | "killedAt" | "limited">> {
  const invocations = await settle(client, ops.filter((op) => op.answered).flatMap((op) => op.invocationIds), deadline);
  const keys = [...new Set(ops.filter((op) => addsToCounter(op.kind)).map((op) => op.key!))];
  // Invocations nobody named (a relay's call to the counter), found by listing every object, then asked again.
  const listed = (await unfinishedEverywhere(client, keys)).filter((row) => !invocations.has(row.id));
  const again = await settle(client, listed.map((row) => row.id), deadline);
  const unfinished = listed.filter((row) => again.get(row.id)?.status !== "completed").map((row) => ({ ...row, status: latestStatus(row.status, again.get(row.id)) }));
  const counts = await inParallel(keys, (key) => counter(client, key));
  const workflows = ops.filter((op) => op.kind === "workflow" && op.answered);
  const outputs = await inParallel(workflows, (op) => workflowOutput(client, op.id));
  return {
    ops,
    executions: recorder.executions,
    counters: new Map(keys.flatMap((key, i) => (counts[i] === undefined ? [] : [[key, counts[i]!] as const]))),
    invocations,
    unfinished,
    workflowOutputs: new Map(workflows.flatMap((op, i) => (outputs[i] ? [[op.id, outputs[i]!] as const] : []))),
  };
}

function latestStatus(listed: string, view: InvocationView | undefined): string {
  return !view || view.status === "unknown" ? listed : view.status;
}

/** The admin API's view of each id, asking again about those not completed until `deadline`. */
async function settle(client: ChaosClient, ids: readonly string[], deadline: number): Promise<Map<string, InvocationView>> {
  const views = new Map<string, InvocationView>();
  let open = [...new Set(ids)];
  for (;;) {
    const answers = await inParallel(open, (id) => invocation(client, id));
    open.forEach((id, i) => views.set(id, answers[i]!));
    open = open.filter((id) => !["completed", "unknown"].includes(views.get(id)!.status));
    if (open.length === 0 || Date.now() >= deadline) return views;
    await sleep(POLL_MS);
  }
}

async function invocation(client: ChaosClient, id: string): Promise<InvocationView> {
  const answer = await client.definitive({ method: "GET", path: `/restate/admin/invocations/${encodeURIComponent(id)}`, headers: ADMIN });
  if (!answer) return { status: "no answer from the admin API" };
  if (answer.status === 404) return { status: "unknown" };
  const body = answer.body as { status?: string; created_at?: string; completion_result?: string | null; completion_failure?: string | null } | undefined;
  if (answer.status !== 200 || !body?.status) return { status: `admin API answered ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 120)}` };
  const createdAt = body.created_at ? Date.parse(body.created_at) : NaN;
  return { status: body.status, result: body.completion_result ?? null, failure: body.completion_failure ?? null, ...(Number.isNaN(createdAt) ? {} : { createdAt }) };
}

async function counter(client: ChaosClient, key: string): Promise<number | undefined> {
  const answer = await client.definitive({ method: "POST", path: `/${NAMES.counter}/${encodeURIComponent(key)}/get` });
  return answer?.status === 200 && typeof answer.body === "number" ? answer.body : undefined;
}

async function workflowOutput(client: ChaosClient, id: string): Promise<{ status: number; body: unknown } | undefined> {
  const answer = await client.definitive({ method: "GET", path: `/restate/workflow/${NAMES.flow}/${encodeURIComponent(id)}/output` });
  return answer && { status: answer.status, body: answer.body };
}

/** Lists the unfinished invocations of every service shard and every counter key the load used. */
async function unfinishedEverywhere(client: ChaosClient, keys: readonly string[]): Promise<Observed["unfinished"]> {
  const shards = Array.from({ length: SERVICE_SHARDS }, (_, i) => String(i));
  const objects = [
    ...[NAMES.relay, NAMES.sleeper, NAMES.limited].flatMap((service) => shards.map((key) => ({ service, key }))),
    ...keys.map((key) => ({ service: NAMES.counter, key })),
  ];
  const queries = objects.flatMap((object) => UNFINISHED_STATUSES.map((status) => ({ ...object, status })));
  const lists = await inParallel(queries, async ({ service, key, status }) => {
    const answer = await client.definitive({ method: "GET", path: `/restate/admin/objects/${service}/${encodeURIComponent(key)}/invocations?status=${status}`, headers: ADMIN });
    const rows = (answer?.body as { invocations?: { id: string; status: string; target: string; created_at?: string }[] } | undefined)?.invocations;
    return answer?.status === 200 && rows ? rows : [{ id: `${service}/${key}`, status: `listing answered ${answer?.status ?? "nothing"}`, target: `${service}/${key}` }];
  });
  return lists.flat().map((row) => ({ id: row.id, status: row.status, target: row.target, ...("created_at" in row && row.created_at ? { createdAt: Date.parse(row.created_at) } : {}) }));
}

/** Maps over `items`, at most PARALLEL at a time, keeping the order. */
async function inParallel<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  return results;
}
