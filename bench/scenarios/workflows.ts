/**
 * Workflows (issue #4): a Resolute workflow of three `ctx.run` steps against the
 * same workflow on Cloudflare Workflows (three `step.do`), both in
 * bench/three-steps.ts, both answering { id, steps: [{ step: 1..3, id }] }.
 *
 * Resolute is called as users would: `POST /threeSteps/{id}/run` blocks for the
 * result; `POST .../run/send` submits (202) and `GET /restate/workflow/threeSteps/{id}/attach`
 * waits. Cloudflare Workflows has no blocking call, so the benchmark Worker
 * creates the instance and polls `instance.status()` until "complete"
 * (`/cfwf/run`, `/cfwf/start` + `/cfwf/wait`); the client sees one request per
 * step either way, and polling from inside the Worker keeps the poll loop's
 * round trips off the client and the dev proxy.
 *
 * Locally every Cloudflare Workflows instance is a Durable Object that is never
 * evicted, and one workerd fails with SQLITE_NOMEM after ~2,700 of them; a
 * session here creates ~740, and each session gets a fresh workerd.
 */
import { closedLoop, sequential, type Http, type LoadResult } from "../harness/load.js";
import type { Scenario, Target, Workload } from "../harness/types.js";
import { latencyMeasurement, throughputMeasurement } from "./common.js";

interface WorkflowTarget extends Target {
  /** Starts workflow `id` and resolves with its output once complete. */
  run(http: Http, id: string): Promise<unknown>;
  /** Starts workflow `id`. */
  start(http: Http, id: string): Promise<unknown>;
  /** Resolves with workflow `id`'s output once complete. */
  wait(http: Http, id: string): Promise<unknown>;
}

function workflowTarget(system: string, run: WorkflowTarget["run"], start: WorkflowTarget["start"], wait: WorkflowTarget["wait"]): WorkflowTarget {
  return {
    system,
    run,
    start,
    wait,
    call: run,
    async isReady(http) {
      const id = `ready-${crypto.randomUUID()}`;
      return outputProblem(await run(http, id), id) === undefined;
    },
  };
}

const resolute = workflowTarget(
  "resolute",
  (http, id) => http.postJson(`/threeSteps/${id}/run`, {}),
  (http, id) => http.requestJson({ method: "POST", path: `/threeSteps/${id}/run/send`, body: {}, expect: 202 }),
  (http, id) => http.getJson(`/restate/workflow/threeSteps/${id}/attach`),
);

const cloudflare = workflowTarget(
  "cf-workflows",
  (http, id) => http.postJson("/cfwf/run", { id }),
  (http, id) => http.postJson("/cfwf/start", { id }),
  (http, id) => http.postJson("/cfwf/wait", { id }),
);

const CLIENTS = 64;

/** Why `output` is not workflow `id`'s; undefined when it is. */
function outputProblem(output: unknown, id: string): string | undefined {
  const o = output as { id?: unknown; steps?: { step?: unknown; id?: unknown }[] } | undefined;
  const ok = o?.id === id && Array.isArray(o.steps) && o.steps.length === 3 && o.steps.every((s, i) => s?.step === i + 1 && s.id === id);
  return ok ? undefined : `workflow ${id} answered ${JSON.stringify(output).slice(0, 200)}`;
}

function problemsOf(load: LoadResult): string[] {
  return load.samples.flatMap(({ key, answer }) => outputProblem(answer, key) ?? []);
}

const latency: Scenario<WorkflowTarget> = {
  id: "wf-latency",
  touchesManyObjects: true, // Cloudflare Workflows: an object per instance
  title: "Workflow of 3 steps, end-to-end latency p50 (1 client, start → complete)",
  unit: "ms",
  better: "lower",
  goalRatio: 0.2,
  async run(target, ctx) {
    const count = ctx.quick ? 50 : 200;
    const load = await closedLoop({
      origin: ctx.origin,
      concurrency: 1,
      durationMs: Infinity,
      maxCalls: count,
      keyOf: (i) => `${ctx.runId}-l${i}`,
      call: (http, id) => target.run(http, id),
    });
    return latencyMeasurement(load, problemsOf(load), { workflows: count });
  },
};

const throughput: Scenario<WorkflowTarget> = {
  id: "wf-throughput",
  touchesManyObjects: true, // Cloudflare Workflows: an object per instance
  title: `Workflows of 3 steps started and completed per second (${CLIENTS} clients, start then wait)`,
  unit: "workflows/s",
  better: "higher",
  goalRatio: 10,
  async run(target, ctx) {
    const count = ctx.quick ? 150 : 500;
    const load = await closedLoop({
      origin: ctx.origin,
      concurrency: CLIENTS,
      durationMs: Infinity,
      maxCalls: count,
      keyOf: (i) => `${ctx.runId}-t${i}`,
      call: async (http, id) => {
        await target.start(http, id);
        return target.wait(http, id);
      },
    });
    const problems = problemsOf(load);
    const completed = load.ok - problems.length;
    return throughputMeasurement(load, problems, { clients: CLIENTS, workflows: count }, completed);
  },
};

export const workflows: Workload<WorkflowTarget> = {
  id: "workflows",
  title: "Workflows: 3 × ctx.run against Cloudflare Workflows' 3 × step.do",
  subject: resolute,
  baseline: cloudflare,
  async warmUp(target, ctx) {
    const load = await closedLoop({
      origin: ctx.origin,
      concurrency: 8,
      durationMs: Infinity,
      maxCalls: 40,
      keyOf: (i) => `${ctx.runId}-warm${i}`,
      call: async (http, id) => {
        await target.start(http, id);
        return target.wait(http, id);
      },
    });
    const single = await sequential(ctx.origin, `${ctx.runId}-warm-run`, 1, (http, id) => target.run(http, id));
    const failed = load.errors + single.errors;
    if (load.ok + single.ok === 0) throw new Error(`every warm-up workflow failed: ${JSON.stringify({ ...load.errorKinds, ...single.errorKinds })}`);
    if (failed > 0) ctx.log(`  warm-up: ${failed} errors ${JSON.stringify({ ...load.errorKinds, ...single.errorKinds })}`);
  },
  scenarios: [latency, throughput],
};
