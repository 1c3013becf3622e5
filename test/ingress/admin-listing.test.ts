/**
 * An object's listing (`GET /restate/admin/objects/{service}/{key}/invocations?limit=`): the
 * largest limit the route takes is what the object reads of each status, so a listing at that
 * limit is filled when there are enough rows, and one limit past it is a 400 (Node, a fake namespace).
 */
import { expect, test } from "vitest";
import { MAX_LISTED, ObjectAdmin } from "../../src/durable/admin.js";
import type { Store } from "../../src/durable/store.js";
import type { Lifecycle } from "../../src/engine/lifecycle.js";
import { createAdmin } from "../../src/ingress/admin-routes.js";
import { targetKinds } from "../../src/ingress/invocation-id.js";
import { registry } from "./fixtures.js";
import { BASE, json } from "./fake-env.js";

test("the listing route takes limits up to what the object reads of each status, and refuses one more", async () => {
  const reg = registry();
  const admin = createAdmin(reg, targetKinds(reg, 4), 0, 0);
  const asked: unknown[] = [];
  const namespace = {
    idFromName: (name: string) => ({ name }),
    get: () => ({ admin: async (request: unknown) => (asked.push(request), []) }),
  } as unknown as DurableObjectNamespace;
  const env = { RESOLUTE: namespace, RESOLUTE_ADMIN_TOKEN: "t" };
  const list = (limit: number) => admin(new Request(`${BASE}/restate/admin/objects/counter/k/invocations?limit=${limit}`, { headers: { authorization: "Bearer t" } }), env);

  expect((await list(MAX_LISTED)).status).toBe(200);
  expect(asked).toEqual([{ op: "invocations", key: "k", limit: MAX_LISTED }]); // its key's own (issue 14: calls it made run in it too)
  const refused = await list(MAX_LISTED + 1);
  expect(refused.status).toBe(400);
  expect((await json(refused)).message).toContain(`from 1 to ${MAX_LISTED}`);
  expect(asked).toHaveLength(1);

  // The object reads MAX_LISTED rows of each status: a listing of one status at that limit is full.
  const readLimits: number[] = [];
  const rows = Array.from({ length: MAX_LISTED + 5 }, (_, i) => ({ id: `inv_${i}`, status: "completed", handler: "add", createdAt: i, headers: {}, lastFailure: null }));
  const store = { invocationsWithStatus: (status: string, limit: number) => (readLimits.push(limit), status === "completed" ? rows.slice(0, limit) : []) };
  const listed = new ObjectAdmin(store as unknown as Store, { isWaiting: () => false } as unknown as Lifecycle).handle({ op: "invocations", status: "completed", limit: MAX_LISTED });
  expect(listed).toHaveLength(MAX_LISTED);
  expect(readLimits).toEqual([MAX_LISTED]);
});
