/**
 * The workflow benchmark's subject and peer: three steps, each returning a
 * small object, as a Resolute workflow (`threeSteps`) and as a Cloudflare
 * Workflow (`ThreeSteps`, three `step.do`). Both answer the same output, so
 * the benchmark checks them the same way.
 *
 * Cloudflare Workflows has no "wait for the result" call, so the benchmark
 * Worker polls `instance.status()` itself (`handleCfWorkflow`); the client sees
 * one request per start and one per wait, as with Resolute's `/run/send` and
 * attach. Polling from inside the Worker keeps the poll loop's round trips off
 * the client and the dev proxy.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { workflow } from "../sdk/define.js";
import type { WorkflowContext } from "../sdk/context.js";

export interface ThreeStepsOutput {
  id: string;
  steps: { step: number; id: string }[];
}

export const threeSteps = workflow({
  name: "threeSteps",
  handlers: {
    async run(ctx: WorkflowContext): Promise<ThreeStepsOutput> {
      const steps = [];
      for (let k = 1; k <= 3; k++) steps.push(await ctx.run(`step-${k}`, () => ({ step: k, id: ctx.key })));
      return { id: ctx.key, steps };
    },
  },
});

export class ThreeSteps extends WorkflowEntrypoint<unknown, Record<string, never>> {
  override async run(event: Readonly<WorkflowEvent<Record<string, never>>>, step: WorkflowStep): Promise<ThreeStepsOutput> {
    const id = event.instanceId;
    const steps = [];
    for (let k = 1; k <= 3; k++) steps.push(await step.do(`step-${k}`, async () => ({ step: k, id })));
    return { id, steps };
  }
}

export interface CfWorkflowEnv {
  CF_WF: Workflow<Record<string, never>>;
}

/** Longest a wait polls before answering 504. */
const WAIT_LIMIT_MS = 30_000;
/**
 * Poll intervals start at 1 ms and double up to a cap: by default 4 ms for `run`
 * (measured alone, for latency: it adds at most ~4 ms to an instance's ~30 ms) and
 * 16 ms for `wait`. The benchmark asks for 16 ms (`"maxPollMs": 16`) whenever 64 run
 * at once: 64 waiters polling every 4 ms would spend the CPU the instances need.
 * (Measured through Miniflare, 64 clients of `/cfwf/run`: caps of 4, 16, 64 and 256 ms
 * gave 23, 21–36, 21–29 and 20–29 workflows/s.)
 */
const FIRST_POLL_MS = 1;
const RUN_MAX_POLL_MS = 4;
const WAIT_MAX_POLL_MS = 16;

/**
 *   POST /cfwf/start  {"id"}  → creates the instance, answers {"id"}
 *   POST /cfwf/wait   {"id"}  → polls its status until complete, answers its output
 *   POST /cfwf/run    {"id"}  → both: creates, waits, answers the output
 * Optional `"maxPollMs"` (1–1000) caps the poll interval of `wait` and `run`.
 * Errored or terminated instances answer 500, a wait past 30 s 504.
 */
export async function handleCfWorkflow(request: Request, env: CfWorkflowEnv, action: string): Promise<Response> {
  if (request.method !== "POST") return Response.json({ message: "Use POST" }, { status: 405 });
  const body = (await request.json().catch(() => undefined)) as { id?: unknown; maxPollMs?: unknown } | undefined;
  const id = body?.id;
  if (typeof id !== "string" || id === "") return Response.json({ message: 'The body must be {"id": "<instance id>"}' }, { status: 400 });
  const maxPollMs = body?.maxPollMs;
  if (maxPollMs !== undefined && !(Number.isInteger(maxPollMs) && (maxPollMs as number) >= 1 && (maxPollMs as number) <= 1_000)) {
    return Response.json({ message: '"maxPollMs" must be an integer from 1 to 1000' }, { status: 400 });
  }
  switch (action) {
    case "start":
      await env.CF_WF.create({ id, params: {} });
      return Response.json({ id });
    case "wait":
      return waitForOutput(await env.CF_WF.get(id), (maxPollMs as number | undefined) ?? WAIT_MAX_POLL_MS);
    case "run":
      return waitForOutput(await env.CF_WF.create({ id, params: {} }), (maxPollMs as number | undefined) ?? RUN_MAX_POLL_MS);
    default:
      return Response.json({ message: `Unknown action '${action}': use start, wait or run` }, { status: 404 });
  }
}

async function waitForOutput(instance: WorkflowInstance, maxPollMs: number): Promise<Response> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (let interval = FIRST_POLL_MS; ; interval = Math.min(interval * 2, maxPollMs)) {
    const { status, output, error } = await instance.status();
    if (status === "complete") return Response.json(output);
    if (status === "errored" || status === "terminated") {
      return Response.json({ message: `instance ${instance.id} ${status}: ${error?.message ?? "no error"}` }, { status: 500 });
    }
    if (Date.now() > deadline) return Response.json({ message: `instance ${instance.id} still ${status} after 30 s` }, { status: 504 });
    await scheduler.wait(interval);
  }
}
