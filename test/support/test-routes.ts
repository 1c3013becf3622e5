/**
 * Test-only routes added in front of a fixture Worker. `/__test/advance`
 * moves one object's clock forward and fires what became due (`advanceClock`,
 * which only the objects of createTestWorker have); `/__test/alarm` answers the alarm an
 * object's storage holds; `/__test/invoke-many` sends one ingress batch to an object. Runs inside workerd.
 */
import { DEFAULT_WORKFLOW_SHARDS, objectNameOf } from "../../src/engine/addressing.js";
import type { InvokeRequest, ObjectRpc } from "../../src/durable/protocol.js";

type Fetch = (request: Request, env: any, ctx: ExecutionContext) => Promise<Response | undefined> | Response | undefined;

export function withTestRoutes(...handlers: Fetch[]) {
  return async (request: Request, env: { RESOLUTE: DurableObjectNamespace }, ctx: ExecutionContext): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname === "/__test/advance") {
      const owner = url.searchParams.get("owner")!;
      // The fixtures use the default workflow shard count.
      const stub = env.RESOLUTE.get(env.RESOLUTE.idFromName(objectNameOf(owner, DEFAULT_WORKFLOW_SHARDS))) as unknown as { advanceClock(ms: number): Promise<number> };
      return Response.json({ now: await stub.advanceClock(Number(url.searchParams.get("ms"))) });
    }
    if (url.pathname === "/__test/alarm") {
      const owner = url.searchParams.get("owner")!;
      const stub = env.RESOLUTE.get(env.RESOLUTE.idFromName(objectNameOf(owner, DEFAULT_WORKFLOW_SHARDS))) as unknown as { storedAlarm(): Promise<number | null> };
      return Response.json({ alarm: await stub.storedAlarm() });
    }
    if (url.pathname === "/__test/invoke-many") return invokeMany(request, env);
    for (const handle of handlers) {
      const response = await handle(request, env, ctx);
      if (response) return response;
    }
    return new Response("no handler", { status: 500 });
  };
}

/** One member of a `/__test/invoke-many` batch: a handler of the object `owner` names, its invocation id and JSON input. */
export interface BatchMember {
  handler: string;
  invocationId: string;
  input: unknown;
}

/**
 * `/__test/invoke-many?owner=o:<service>:<key>`: the object's `invokeMany` (ingress coalescing, issue 14)
 * with the members the body lists, so a test decides what one batch holds; results' values as text.
 */
async function invokeMany(request: Request, env: { RESOLUTE: DurableObjectNamespace }): Promise<Response> {
  const owner = new URL(request.url).searchParams.get("owner")!;
  const [, service, key] = owner.split(":") as [string, string, string];
  const members = (await request.json()) as BatchMember[];
  const requests: InvokeRequest[] = members.map((m) => ({
    owner, invocationId: m.invocationId, target: { service, handler: m.handler, key },
    input: new TextEncoder().encode(JSON.stringify(m.input ?? null)), headers: { "content-type": "application/json" }, invokedBy: "ingress",
  }));
  const stub = env.RESOLUTE.get(env.RESOLUTE.idFromName(objectNameOf(owner, DEFAULT_WORKFLOW_SHARDS))) as unknown as ObjectRpc;
  const answers = await stub.invokeMany(requests);
  return Response.json(answers.map((a) => ("result" in a ? (a.result.ok ? { value: new TextDecoder().decode(a.result.value) } : { error: a.result.error.message }) : a)));
}
