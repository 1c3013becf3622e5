/**
 * Test-only routes added in front of a fixture Worker. `/__test/advance`
 * moves one object's clock forward and fires what became due (`advanceClock`,
 * which only the objects of createTestWorker have); `/__test/alarm` answers the alarm an
 * object's storage holds. Runs inside workerd.
 */
import { DEFAULT_WORKFLOW_SHARDS, objectNameOf } from "../../src/engine/addressing.js";

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
    for (const handle of handlers) {
      const response = await handle(request, env, ctx);
      if (response) return response;
    }
    return new Response("no handler", { status: 500 });
  };
}
