/**
 * Issue #15: the limiter's and the rule book's rules against their SQLite stores in a
 * Durable Object on workerd: the same cases as the memory stores (test/engine/limiter.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerdRuntime } from "../support/runtime.js";
import { LIMITER_CASES, RULE_BOOK_CASES } from "../support/limiter-contract.js";

let rt: WorkerdRuntime;
beforeAll(async () => void (rt = await WorkerdRuntime.start({ entry: "test/worker/fixtures/limiter-contract-worker.ts" })));
afterAll(() => rt.dispose());

for (const [suite, cases] of [["limiter", LIMITER_CASES], ["ruleBook", RULE_BOOK_CASES]] as const) {
  describe(`issue #15: ${suite} rules, SQLite store`, () => {
    for (const name of Object.keys(cases)) {
      it(name, async () => {
        const answer = await rt.get(`/case?suite=${suite}&name=${encodeURIComponent(name)}`);
        expect(answer.body).toEqual({ ok: true });
      });
    }
  });
}
