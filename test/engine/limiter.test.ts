/**
 * Issue #15: the limiter's and the rule book's rules against the memory stores (the
 * same cases run against SQLite in test/worker/limiter-store.test.ts), and the
 * pure helpers around them.
 */
import { describe, expect, it } from "vitest";
import { LIMITER_CASES, RULE_BOOK_CASES, type Stores } from "../support/limiter-contract.js";
import { MemoryLimiterStore, MemoryRuleBookStore } from "../../src/engine/limiter-memory.js";
import { effectiveLimits, resolvePattern } from "../../src/engine/limit-rules.js";

const memory = (): Stores => ({ limiter: () => new MemoryLimiterStore(), ruleBook: () => new MemoryRuleBookStore() });

describe("issue #15: limiter rules, memory store", () => {
  for (const [name, run] of Object.entries(LIMITER_CASES)) it(name, () => run(memory()));
});

describe("issue #15: rule book rules, memory store", () => {
  for (const [name, run] of Object.entries(RULE_BOOK_CASES)) it(name, () => run(memory()));
});

describe("issue #15: rule patterns", () => {
  const scopes = ["payments", "payments/charge", "mailer"];
  it("resolves the longest declared scope, then the key", () => {
    expect(resolvePattern("payments", scopes)).toEqual({ scope: "payments", key: null });
    expect(resolvePattern("payments/*", scopes)).toEqual({ scope: "payments", key: null });
    expect(resolvePattern("payments/m-42", scopes)).toEqual({ scope: "payments", key: "m-42" });
    expect(resolvePattern("payments/charge/m-42", scopes)).toEqual({ scope: "payments/charge", key: "m-42" });
    expect(resolvePattern("payments/refund/m-42", scopes)).toEqual({ scope: "payments", key: "refund/m-42" });
  });
  it("refuses a pattern that matches no declared limit, naming those that exist", () => {
    const result = resolvePattern("paymentsx", scopes);
    expect("error" in result && result.error).toMatch(/matches no declared limit.*'payments\/charge', 'payments', 'mailer'/);
  });
  it("layers a rule over the code's limits, dimension by dimension", () => {
    const declared = { concurrency: 10, rate: { limit: 5, perMs: 1000 } };
    expect(effectiveLimits(declared, null)).toEqual(declared);
    expect(effectiveLimits(declared, { concurrency: 3 })).toEqual({ concurrency: 3, rate: { limit: 5, perMs: 1000 } });
    expect(effectiveLimits(declared, { rate: null })).toEqual({ concurrency: 10 });
  });
});
