/** A fake Durable Object namespace and request helpers shared by the ingress tests (Node, no workerd). */
import { expect } from "vitest";
import type { ObjectRpc, OutputLookup } from "../../src/durable/protocol.js";
import type { IngressEnv } from "../../src/ingress/router.js";

/** Response bodies are `unknown` under workers-types; tests read them loosely. */
export const json = (res: Response): Promise<any> => res.json();

export const BASE = "http://resolute.test";
export const MAX_BODY = 64;

export type Call = { owner: string; method: keyof ObjectRpc; args: unknown[] };

/** A Durable Object namespace whose stubs record calls and answer from `behaviour`. */
export function fakeEnv(behaviour: Partial<ObjectRpc> = {}) {
  const calls: Call[] = [];
  const defaults: ObjectRpc = {
    invoke: async (req) => ({ invocationId: req.invocationId, ok: true, value: new TextEncoder().encode('"ok"') }),
    send: async (req) => ({ invocationId: req.invocationId, status: "Accepted" }),
    attach: async (): Promise<OutputLookup> => ({ state: "unknown" }),
    output: async (): Promise<OutputLookup> => ({ state: "unknown" }),
    deliver: async () => undefined,
    completeAwakeable: async () => "complete",
  };
  const rpc = { ...defaults, ...behaviour };
  const namespace = {
    idFromName: (name: string) => ({ name }),
    get: (id: { name: string }) =>
      new Proxy({}, {
        get: (_t, method: keyof ObjectRpc) => (...args: unknown[]) => {
          calls.push({ owner: id.name, method, args });
          return (rpc[method] as (...a: unknown[]) => unknown)(...args);
        },
      }),
  };
  return { env: { RESOLUTE: namespace as unknown as DurableObjectNamespace } satisfies IngressEnv, calls };
}

/** A request as a JSON client sends it: a string body is labelled application/json unless the test says otherwise. */
export function request(path: string, init?: RequestInit & { duplex?: "half" }): Request {
  const headers = new Headers(init?.headers);
  if (typeof init?.body === "string" && !headers.has("content-type")) headers.set("content-type", "application/json");
  return new Request(`${BASE}${path}`, { ...init, headers });
}

export async function expectError(res: Response, status: number, message: string | RegExp, source = "ingress") {
  expect(res.status).toBe(status);
  expect(res.headers.get("x-restate-error-source")).toBe(source);
  const body = await json(res);
  expect(body.code).toBe(status);
  expect(body.source).toBe(source);
  expect(body.message).toMatch(message);
}
