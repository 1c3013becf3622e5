/**
 * The lifecycle contract (lifecycle-cases.ts) against the Durable Object's SQLite store:
 * each case runs inside a Durable Object on workerd (fixtures/contract-worker.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerdRuntime } from "../support/runtime.js";
import { CASES } from "./lifecycle-cases.js";

let rt: WorkerdRuntime;
beforeAll(async () => {
  rt = await WorkerdRuntime.start({ entry: "test/contract/fixtures/contract-worker.ts" });
});
afterAll(() => rt?.dispose());

describe("issue #11: the lifecycle contract on the SQLite store (workerd)", () => {
  for (const name of Object.keys(CASES)) {
    it(name, async () => {
      const { body } = await rt.get(`/${encodeURIComponent(name)}`);
      expect(body).toEqual({ ok: true });
    });
  }
});
