/**
 * The benchmark Worker: Resolute serving W3 (`counter`) beside the floor
 * (`FloorObject`), so both run in the same workerd with the same bundle.
 *
 *   POST /floor/<key>/add    body n → the floor's new count
 *   everything else          → Resolute (POST /counter/<key>/add, /restate/health, ...)
 */
import { createWorker } from "../src/index.js";
import { counter } from "./counter.js";
import { FloorObject } from "./floor.js";

interface BenchEnv {
  RESOLUTE: DurableObjectNamespace;
  FLOOR: DurableObjectNamespace<FloorObject>;
  RESOLUTE_ADMIN_TOKEN: string;
}

const resolute = createWorker({ services: [counter] });
const FLOOR_ROUTE = /^\/floor\/([^/]+)\/add$/;

export default {
  async fetch(request: Request, env: BenchEnv, ctx: ExecutionContext): Promise<Response> {
    const match = FLOOR_ROUTE.exec(new URL(request.url).pathname);
    if (match) return addToFloor(request, env, decodeURIComponent(match[1]!));
    return resolute.fetch(request, env, ctx);
  },
};

async function addToFloor(request: Request, env: BenchEnv, key: string): Promise<Response> {
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
  const stub = env.FLOOR.get(env.FLOOR.idFromName(key));
  return Response.json(await stub.add(n));
}

export const ResoluteObject = resolute.ResoluteObject;
export { FloorObject };
