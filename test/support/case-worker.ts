/**
 * A fixture Worker that runs named test cases inside Durable Objects, one object per case
 * name (so each starts from empty tables): `GET /<case name>` answers `{ ok: true }` or
 * `{ ok: false, error }` (the error's stack). Runs inside workerd.
 */
import { DurableObject } from "cloudflare:workers";

type Outcome = { ok: true } | { ok: false; error: string };

export function caseWorker(runCase: (name: string, storage: DurableObjectStorage) => void | Promise<void>) {
  class ResoluteObject extends DurableObject {
    async run(name: string): Promise<Outcome> {
      try {
        await runCase(name, this.ctx.storage);
        return { ok: true };
      } catch (error) {
        return { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
      }
    }
  }
  const worker = {
    async fetch(request: Request, env: { RESOLUTE: DurableObjectNamespace<ResoluteObject> }): Promise<Response> {
      const name = decodeURIComponent(new URL(request.url).pathname.slice(1));
      return Response.json(await env.RESOLUTE.get(env.RESOLUTE.idFromName(name)).run(name));
    },
  };
  return { ResoluteObject, worker };
}
