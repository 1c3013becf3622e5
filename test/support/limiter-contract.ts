/**
 * The limiter's and the rule book's rules as cases over a store: one suite, run
 * against the memory stores in Node (test/engine/limiter.test.ts) and the SQLite
 * stores inside a Durable Object on workerd (test/worker/limiter-store.test.ts).
 * Each case throws on a failed expectation (no test framework inside workerd).
 */
import { Limiter, REGRANT_AFTER_MS, REGRANT_BATCH, RELEASED_MEMORY_MS, type LimiterEffect, type LimiterStore } from "../../src/engine/limiter.js";
import { RuleBook, type RuleBookStore } from "../../src/engine/limit-rules.js";
import type { Limits } from "../../sdk/flow-control.js";

export interface Stores {
  limiter(): LimiterStore;
  ruleBook(): RuleBookStore;
}

type Case = (stores: Stores) => void;

function expectEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

const grants = (effects: LimiterEffect[]) => effects.filter((e) => e.type === "grant").map((e) => (e as { invocationId: string }).invocationId);

/** A limiter for scope "svc", key "k", declared `limits`, whose rule book answered "no rule" (long before the case starts: its start is out of any window). */
function ready(stores: Stores, limits: Limits, now = -1e6): Limiter {
  const limiter = new Limiter(stores.limiter());
  const first = limiter.acquire(ask("warm", limits), now);
  expectEqual(first.map((e) => e.type), ["watchRules"], "a new limiter asks the rule book first, and grants nothing before it answers");
  limiter.applyRule(null, 0, now);
  limiter.release("warm", 0, now);
  return limiter;
}

function ask(id: string, declared: Limits, round = 0) {
  return { invocationId: id, owner: `s:svc:${id}`, round, scope: "svc", key: "k", declared };
}

export const LIMITER_CASES: Record<string, Case> = {
  "grants in arrival order up to the concurrency limit, then one per release"(stores) {
    const limiter = ready(stores, { concurrency: 2 });
    const given = ["a", "b", "c", "d"].flatMap((id, i) => grants(limiter.acquire(ask(id, { concurrency: 2 }), i + 1)));
    expectEqual(given, ["a", "b"], "the first two start");
    expectEqual(grants(limiter.release("b", 0, 10)), ["c"], "a release starts the longest waiting");
    expectEqual(grants(limiter.release("a", 0, 11)), ["d"], "and the next");
    expectEqual(limiter.view(12)?.running, 2, "two run");
    expectEqual(limiter.view(12)?.queued, 0, "none waits");
  },
  "a redelivered acquire or release changes nothing (a holder's acquire is granted again)"(stores) {
    const limiter = ready(stores, { concurrency: 1 });
    expectEqual(grants(limiter.acquire(ask("a", { concurrency: 1 }), 1)), ["a"], "a starts");
    expectEqual(grants(limiter.acquire(ask("a", { concurrency: 1 }), 2)), ["a"], "a again: granted again, in case the first grant was lost");
    expectEqual(limiter.view(2)?.running, 1, "still one slot");
    expectEqual(grants(limiter.acquire(ask("b", { concurrency: 1 }), 3)), [], "b waits");
    expectEqual(grants(limiter.acquire(ask("b", { concurrency: 1 }), 4)), [], "b again: already waits");
    expectEqual(limiter.view(5)?.queued, 1, "b is queued once");
    expectEqual(grants(limiter.release("a", 0, 6)), ["b"], "a's release starts b");
    expectEqual(grants(limiter.release("a", 0, 7)), [], "a's release again frees nothing more");
    expectEqual(limiter.view(8)?.running, 1, "b alone runs");
  },
  "an acquire delivered after its own release is ignored"(stores) {
    const limiter = ready(stores, { concurrency: 1 });
    limiter.release("late", 0, 1);
    expectEqual(grants(limiter.acquire(ask("late", { concurrency: 1 }), 2)), [], "no slot for an invocation that already ended");
    expectEqual(limiter.view(3)?.running, 0, "nothing runs");
    expectEqual(grants(limiter.acquire(ask("late", { concurrency: 1 }, 1), 4)), ["late"], "a later round (asked again after a pause, or the id used again) is a new ask");
  },
  "a released round is forgotten after a day"(stores) {
    const limiter = ready(stores, { concurrency: 1 });
    limiter.release("old", 0, 1);
    limiter.release("other", 0, 2 + RELEASED_MEMORY_MS);
    expectEqual(grants(limiter.acquire(ask("old", { concurrency: 1 }), 3 + RELEASED_MEMORY_MS)), ["old"], "after the memory, an acquire is new again");
  },
  "a waiter that gives up leaves the queue"(stores) {
    const limiter = ready(stores, { concurrency: 1 });
    limiter.acquire(ask("a", { concurrency: 1 }), 1);
    limiter.acquire(ask("b", { concurrency: 1 }), 2);
    limiter.acquire(ask("c", { concurrency: 1 }), 3);
    expectEqual(grants(limiter.release("b", 0, 4)), [], "b's release (killed while queued) frees no slot");
    expectEqual(grants(limiter.release("a", 0, 5)), ["c"], "c, not b, starts next");
  },
  "no grants until the rule book answered; its rule applies"(stores) {
    const limiter = new Limiter(stores.limiter());
    expectEqual(limiter.acquire(ask("a", { concurrency: 5 }), 1).map((e) => e.type), ["watchRules"], "asks the rule book");
    expectEqual(grants(limiter.acquire(ask("b", { concurrency: 5 }), 2)), [], "still waiting for it");
    expectEqual(grants(limiter.applyRule({ concurrency: 1 }, 3, 3)), ["a"], "the rule's limit (1), not the code's (5)");
    expectEqual(grants(limiter.applyRule({ concurrency: 4 }, 2, 4)), [], "an older version is ignored");
    expectEqual(limiter.view(5)?.effective, { concurrency: 1 }, "still 1");
    expectEqual(grants(limiter.applyRule({ concurrency: 2 }, 4, 6)), ["b"], "a raised limit starts waiters at once");
    expectEqual(grants(limiter.applyRule({ concurrency: null }, 5, 7)), [], "null lifts the limit");
    expectEqual(limiter.view(8)?.effective, {}, "unlimited");
  },
  "a lowered limit lets holders finish and starts nobody until below it"(stores) {
    const limiter = ready(stores, { concurrency: 3 });
    for (const id of ["a", "b", "c", "d"]) limiter.acquire(ask(id, { concurrency: 3 }), 1);
    limiter.applyRule({ concurrency: 1 }, 1, 2);
    expectEqual(grants(limiter.release("a", 0, 3)), [], "2 still hold, over the new limit of 1");
    expectEqual(grants(limiter.release("b", 0, 4)), [], "1 holds: at the limit");
    expectEqual(grants(limiter.release("c", 0, 5)), ["d"], "below it: d starts");
  },
  "a rate limit starts at most `limit` per window and wakes when it moves on"(stores) {
    const rate = { rate: { limit: 2, perMs: 1000 } };
    const limiter = ready(stores, rate);
    const effects = ["a", "b", "c"].flatMap((id) => limiter.acquire(ask(id, rate), 100));
    expectEqual(grants(effects), ["a", "b"], "two in the window");
    expectEqual(effects.filter((e) => e.type === "wake"), [{ type: "wake", at: 1100 }], "a wake-up when the first start leaves the window");
    expectEqual(limiter.tick(1099), [{ type: "wake", at: 1100 }], "a tick that comes early (a restart makes every delivery due): not yet, and the wake-up again");
    expectEqual(grants(limiter.tick(1100)), ["c"], "then c");
    expectEqual(limiter.view(1100)?.startsInWindow, 1, "one start in the window now");
  },
  "a rate limit counts starts, not running invocations"(stores) {
    const rate = { rate: { limit: 1, perMs: 1000 } };
    const limiter = ready(stores, rate);
    limiter.acquire(ask("a", rate), 10);
    limiter.acquire(ask("b", rate), 10);
    expectEqual(grants(limiter.release("a", 0, 20)), [], "a ended, but the window still has its start");
    expectEqual(grants(limiter.tick(1010)), ["b"], "b starts when the window moves on");
  },
  "both limits at once: the tighter decides"(stores) {
    const both = { concurrency: 1, rate: { limit: 10, perMs: 1000 } };
    const limiter = ready(stores, both);
    expectEqual(grants(["a", "b"].flatMap((id) => limiter.acquire(ask(id, both), 1))), ["a"], "concurrency 1");
    expectEqual(grants(limiter.release("a", 0, 2)), ["b"], "rate leaves room");
  },
  "a deploy's new declared limit is taken from the next acquire"(stores) {
    const limiter = ready(stores, { concurrency: 1 });
    limiter.acquire(ask("a", { concurrency: 1 }), 1);
    expectEqual(grants(limiter.acquire(ask("b", { concurrency: 2 }), 2)), ["b"], "the code now says 2");
    expectEqual(limiter.view(3)?.declared, { concurrency: 2 }, "declared 2");
  },
  "rounds: a pause gives the slot back, a resume asks again"(stores) {
    const limiter = ready(stores, { concurrency: 1 });
    limiter.acquire(ask("a", { concurrency: 1 }), 1);
    limiter.acquire(ask("b", { concurrency: 1 }), 2);
    expectEqual(grants(limiter.release("a", 0, 3)), ["b"], "a paused: b starts");
    expectEqual(grants(limiter.acquire(ask("a", { concurrency: 1 }, 1), 4)), [], "a resumed waits behind b");
    expectEqual(grants(limiter.release("b", 0, 5)), ["a"], "then runs");
    expectEqual(grants(limiter.release("a", 0, 6)), [], "a stale release of round 0 does not free round 1's slot");
    expectEqual(limiter.view(7)?.running, 1, "a still holds");
    limiter.release("a", 1, 8);
    expectEqual(limiter.view(9)?.running, 0, "round 1's release does");
  },
  "full with waiters, slots held for REGRANT_AFTER_MS are granted again (a lost release is found), once per period"(stores) {
    const one = { concurrency: 1 };
    const limiter = ready(stores, one);
    limiter.acquire(ask("a", one), 1000);
    const waiting = limiter.acquire(ask("b", one), 2000);
    expectEqual(waiting, [{ type: "wake", at: 1000 + REGRANT_AFTER_MS }], "b waits; a wake-up for when a has held long");
    expectEqual(limiter.tick(999 + REGRANT_AFTER_MS), [{ type: "wake", at: 1000 + REGRANT_AFTER_MS }], "a tick that comes early (a restart makes every delivery due): not yet, and the wake-up again");
    const check = 1000 + REGRANT_AFTER_MS;
    expectEqual(limiter.tick(check), [{ type: "grant", owner: "s:svc:a", invocationId: "a", round: 0 }, { type: "wake", at: check + REGRANT_AFTER_MS }], "a's grant again, and the next check");
    expectEqual(grants(limiter.acquire(ask("c", one), check + 1)), [], "no second grant within the period");
    expectEqual(limiter.view(check + 2)?.running, 1, "nothing freed without the owner's word");
    expectEqual(grants(limiter.release("a", 0, check + 3)), ["b"], "the owner gives a's slot back: b starts");
    expectEqual(grants(limiter.tick(check + REGRANT_AFTER_MS)), [], "b holds for less than the period: not asked");
    expectEqual(grants(limiter.tick(check + 3 + REGRANT_AFTER_MS)), ["b"], "b is asked once it held long");
    limiter.release("b", 0, check + 4 + REGRANT_AFTER_MS);
    limiter.release("c", 0, check + 5 + REGRANT_AFTER_MS);
    expectEqual(limiter.tick(check + 4 * REGRANT_AFTER_MS), [], "nobody waits: no checks, no wake-ups");
  },
  "holders are checked a batch at a time, each check going on where the last stopped"(stores) {
    const limits = { concurrency: REGRANT_BATCH + 2 };
    const limiter = ready(stores, limits);
    const ids = Array.from({ length: REGRANT_BATCH + 2 }, (_, i) => `h${String(i).padStart(3, "0")}`);
    ids.forEach((id, i) => limiter.acquire(ask(id, limits), 1 + i));
    limiter.acquire(ask("waiter", limits), 1000);
    const t = 1000 + REGRANT_AFTER_MS;
    expectEqual(grants(limiter.tick(t)), ids.slice(0, REGRANT_BATCH), "the oldest batch first");
    expectEqual(grants(limiter.tick(t + REGRANT_AFTER_MS)), ids.slice(REGRANT_BATCH), "then the ones behind it, not the first batch again");
    expectEqual(grants(limiter.tick(t + 2 * REGRANT_AFTER_MS)), ids.slice(0, REGRANT_BATCH), "then from the start again");
  },
};

export const RULE_BOOK_CASES: Record<string, Case> = {
  "a watcher is told its key's rule: the key's own over the scope's"(stores) {
    const book = new RuleBook(stores.ruleBook());
    expectEqual(book.watch("k1"), [{ type: "tell", key: "k1", rule: null, version: 0 }], "no rule yet");
    const wide = book.upsert([{ pattern: "svc", scope: "svc", key: null, limits: { concurrency: 5 } }], 1);
    if (!wide.ok) throw new Error(wide.message);
    expectEqual(wide.effects, [{ type: "tell", key: "k1", rule: { concurrency: 5 }, version: 1 }], "a scope-wide rule tells every watcher");
    const own = book.upsert([{ pattern: "svc/k2", scope: "svc", key: "k2", limits: { rate: { limit: 1, perMs: 10 } } }], 2);
    if (!own.ok) throw new Error(own.message);
    expectEqual(own.effects, [], "a key's rule tells only that key's watcher (none yet)");
    expectEqual(book.watch("k2"), [{ type: "tell", key: "k2", rule: { concurrency: 5, rate: { limit: 1, perMs: 10 } }, version: 2 }], "layered");
  },
  "disabled rules are kept but ignored; deleting tells the watchers"(stores) {
    const book = new RuleBook(stores.ruleBook());
    book.watch("k");
    book.upsert([{ pattern: "svc/*", scope: "svc", key: null, limits: { concurrency: 2 } }], 1);
    const off = book.upsert([{ pattern: "svc", scope: "svc", key: null, limits: { concurrency: 2 }, disabled: true }], 2);
    if (!off.ok) throw new Error(off.message);
    expectEqual(off.effects, [{ type: "tell", key: "k", rule: null, version: 2 }], "'svc/*' and 'svc' are one rule; disabled: no rule");
    expectEqual(book.rules().map((r) => [r.pattern, r.disabled]), [["svc", true]], "kept");
    expectEqual(book.remove({ pattern: "svc", scope: "svc", key: null }).effects, [{ type: "tell", key: "k", rule: null, version: 3 }], "deleted");
    expectEqual(book.remove({ pattern: "svc", scope: "svc", key: null }).removed, false, "gone");
  },
  "preconditions: a failed one changes nothing"(stores) {
    const book = new RuleBook(stores.ruleBook());
    const first = book.upsert([{ pattern: "svc", scope: "svc", key: null, limits: { concurrency: 2 }, precondition: { type: "does_not_exist" } }], 1);
    expectEqual(first.ok, true, "a strict insert of a new rule");
    const again = book.upsert([
      { pattern: "svc/a", scope: "svc", key: "a", limits: { concurrency: 1 } },
      { pattern: "svc", scope: "svc", key: null, limits: { concurrency: 9 }, precondition: { type: "does_not_exist" } },
    ], 2);
    expectEqual(again.ok, false, "the second entry's precondition fails");
    expectEqual(book.rules().map((r) => [r.pattern, r.limits]), [["svc", { concurrency: 2 }]], "and the first was not applied either");
    const matched = book.upsert([{ pattern: "svc", scope: "svc", key: null, limits: { concurrency: 3 }, precondition: { type: "matches", version: 1 } }], 3);
    expectEqual(matched.ok, true, "matches the current version");
    const stale = book.upsert([{ pattern: "svc", scope: "svc", key: null, limits: { concurrency: 4 }, precondition: { type: "matches", version: 1 } }], 4);
    expectEqual(stale.ok, false, "a stale version is refused");
  },
  "watchers are listed in key order, page by page"(stores) {
    const store = stores.ruleBook();
    const book = new RuleBook(store);
    for (const key of ["c", "a", "b", "a"]) book.watch(key);
    expectEqual(store.watchers(null, 2), ["a", "b"], "first page");
    expectEqual(store.watchers("b", 2), ["c"], "next page");
  },
};
