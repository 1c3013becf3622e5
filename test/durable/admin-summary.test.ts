/**
 * issue #10: a stored time that is no date (an older build stored
 * `?delay=100000000000000000000ms` as is) must not make a listing of the
 * object's invocations a 500: it shows as null, the rest of the row as usual.
 */
import { describe, expect, test } from "vitest";
import { ObjectAdmin } from "../../src/durable/admin.js";
import { toInvocation } from "../../src/durable/rows.js";
import type { InvocationRow, Store } from "../../src/durable/store.js";
import type { Lifecycle } from "../../src/engine/lifecycle.js";

function row(overrides: Partial<InvocationRow>): InvocationRow {
  return {
    seq: 1, id: "inv_1x.y", service: "counter", handler: "add", key: "k", exclusive: true, input: new Uint8Array(0), headers: {},
    idempotencyKey: null, invokedBy: "ingress", status: "scheduled", attempts: 0, nextAt: null, lastFailure: null,
    cancelRequested: false, createdAt: 0, modifiedAt: 0, completedAt: null, expiresAt: null, ...overrides,
  };
}

function adminOver(rows: InvocationRow[]): ObjectAdmin {
  const store = { invocationsWithStatus: (status: string) => rows.filter((r) => r.status === status), invocation: (id: string) => rows.find((r) => r.id === id), journal: () => [] };
  const lifecycle = { isWaiting: () => false };
  return new ObjectAdmin(store as unknown as Store, lifecycle as unknown as Lifecycle);
}

describe("the admin's rendering of stored times", () => {
  test("overflowing, missing or corrupt values render as null instead of throwing", () => {
    const bad = row({ nextAt: 1e23, createdAt: Number.NaN, modifiedAt: 8.64e15 + 1, lastFailure: { name: "Error", message: "not json", code: 500 } });
    const listed = adminOver([bad, row({ id: "inv_1x.z", seq: 2, nextAt: Date.UTC(2030, 0, 1) })]).handle({ op: "invocations" }) as Record<string, unknown>[];
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({ id: "inv_1x.y", status: "scheduled", next_retry_at: null, created_at: null, modified_at: null, last_failure: "not json" });
    expect(listed[1]).toMatchObject({ next_retry_at: "2030-01-01T00:00:00.000Z", created_at: "1970-01-01T00:00:00.000Z" });
    expect(adminOver([bad]).handle({ op: "invocation", invocationId: "inv_1x.y" })).toMatchObject({ next_retry_at: null, journal: [] });
  });
});

describe("reading a stored last failure", () => {
  const stored = (lastFailure: string | null) =>
    toInvocation({
      seq: 1, id: "inv_1x.y", service: "counter", handler: "add", key: "k", exclusive: 1, input: null, headers: "{}", idempotency_key: null,
      invoked_by: "ingress", status: "backing-off", attempts: 1, next_at: 5, last_failure: lastFailure, cancel_requested: 0, created_at: 0, modified_at: 0,
      completed_at: null, expires_at: null,
    });

  test("a failure record comes back as written; text from an older build becomes the message", () => {
    expect(stored(JSON.stringify({ name: "Error", message: "down", code: 503 })).lastFailure).toEqual({ name: "Error", message: "down", code: 503 });
    expect(stored("not json").lastFailure).toEqual({ name: "Error", message: "not json", code: 500 });
    expect(stored(null).lastFailure).toBeNull();
  });
});
