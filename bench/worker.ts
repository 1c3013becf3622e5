/**
 * The benchmark Worker: Resolute serving every workload beside its baselines,
 * so all run in the same workerd with the same bundle.
 *
 *   POST /floor/<key>/add        body n → the W3 floor's new count (floor.ts)
 *   POST /chain-floor/<key>/hop  body n → the call chain's floor answer (chain-floor.ts)
 *   POST /cfwf/start|wait|run    body {"id"} → Cloudflare Workflows (three-steps.ts)
 *   everything else              → Resolute (/counter/<key>/add, /limitedCounter/<key>/add, /chainA/<key>/hop,
 *                                  /threeSteps/<id>/run, /restate/health, ...)
 */
import { createWorker } from "../src/index.js";
import { chainA, chainB, chainC } from "./chain.js";
import { ChainFloorObject, chainFloorStub } from "./chain-floor.js";
import { counter, limitedCounter } from "./counter.js";
import { FloorObject } from "./floor.js";
import { ThreeSteps, handleCfWorkflow, threeSteps, type CfWorkflowEnv } from "./three-steps.js";

interface BenchEnv extends CfWorkflowEnv {
  RESOLUTE: DurableObjectNamespace;
  FLOOR: DurableObjectNamespace<FloorObject>;
  CHAIN_FLOOR: DurableObjectNamespace<ChainFloorObject>;
  RESOLUTE_ADMIN_TOKEN: string;
}

const resolute = createWorker({ services: [counter, limitedCounter, chainA, chainB, chainC, threeSteps] });
const FLOOR_ROUTE = /^\/floor\/([^/]+)\/add$/;
const CHAIN_FLOOR_ROUTE = /^\/chain-floor\/([^/]+)\/hop$/;
const CF_WORKFLOW_ROUTE = /^\/cfwf\/([a-z]+)$/;

export default {
  async fetch(request: Request, env: BenchEnv, ctx: ExecutionContext): Promise<Response> {
    const path = new URL(request.url).pathname;
    let match = FLOOR_ROUTE.exec(path);
    if (match) {
      const key = decodeURIComponent(match[1]!);
      return callWithNumber(request, (n) => env.FLOOR.get(env.FLOOR.idFromName(key)).add(n));
    }
    match = CHAIN_FLOOR_ROUTE.exec(path);
    if (match) {
      const key = decodeURIComponent(match[1]!);
      return callWithNumber(request, (n) => chainFloorStub(env, `a:${key}`).a(key, n));
    }
    match = CF_WORKFLOW_ROUTE.exec(path);
    if (match) return handleCfWorkflow(request, env, match[1]!);
    return resolute.fetch(request, env, ctx);
  },
};

/** Reads a JSON number body, answers `call(n)` as JSON. */
async function callWithNumber(request: Request, call: (n: number) => Promise<unknown>): Promise<Response> {
  if (request.method !== "POST") return Response.json({ message: "Use POST" }, { status: 405 });
  let n: unknown;
  try {
    n = await request.json();
  } catch {
    return Response.json({ message: "The body must be JSON" }, { status: 400 });
  }
  if (typeof n !== "number" || !Number.isFinite(n)) {
    return Response.json({ message: "The body must be a JSON number" }, { status: 400 });
  }
  return Response.json(await call(n));
}

export const ResoluteObject = resolute.ResoluteObject;
export { FloorObject, ChainFloorObject, ThreeSteps };
