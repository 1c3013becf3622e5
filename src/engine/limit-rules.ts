/**
 * Operators' limit rules (Restate 1.7's rule book, `PUT /limits/rules`): a rule's
 * pattern selects a declared limit scope (`service` or `service/handler`) and
 * either every key of it (`payments`, `payments/*`) or one limit key
 * (`payments/merchant-42`); its limits replace the code's, dimension by dimension
 * (`null`: unlimited). One rule book per scope keeps the scope's rules and the keys
 * whose limiters watch them, and tells a limiter its rule when it first asks and
 * whenever a rule that covers it changes.
 *
 * Invariant: a key's rule is its exact rule over the scope-wide one, disabled rules
 * ignored; every change takes a new book version, and limiters keep the highest
 * version they were told. Pure: storage through a synchronous port.
 */
import type { Limits } from "../../sdk/flow-control.js";

/** A rule's limits: a dimension present replaces the code's (null: unlimited), absent keeps it. */
export interface RuleLimits {
  concurrency?: number | null;
  rate?: { limit: number; perMs: number } | null;
}

export interface LimitRule {
  /** As the operator wrote it: `scope`, `scope/*` or `scope/<limit key>`. */
  pattern: string;
  scope: string;
  /** The limit key it covers; null for every key of the scope. */
  key: string | null;
  limits: RuleLimits;
  description?: string;
  /** Kept but ignored (Restate's soft tombstone). */
  disabled: boolean;
  /** The book version of its last change. */
  version: number;
  modifiedAt: number;
}

/** Restate's optimistic-concurrency guard of one change. */
export type Precondition = { type: "none" } | { type: "does_not_exist" } | { type: "matches"; version: number };

export interface RuleChange {
  pattern: string;
  limits: RuleLimits;
  description?: string;
  disabled?: boolean;
  precondition?: Precondition;
}

/** What a rule book needs from storage (one scope's rules are few; its watchers may be many). */
export interface RuleBookStore {
  rules(): LimitRule[];
  saveRule(rule: LimitRule): void;
  deleteRule(pattern: string): void;
  version(): number;
  setVersion(version: number): void;
  addWatcher(key: string): void;
  hasWatcher(key: string): boolean;
  /** Watching keys after `after` (in key order), at most `limit`. */
  watchers(after: string | null, limit: number): string[];
  transaction<T>(fn: () => T): T;
}

/** Tell the limiter of `key` its rule (null: none) as of book `version`. */
export type RuleBookEffect = { type: "tell"; key: string; rule: RuleLimits | null; version: number };

/** Where a pattern points, or why it points nowhere. */
export type PatternTarget = { scope: string; key: string | null } | { error: string };

/**
 * Resolves a pattern against the declared scopes: the longest scope it starts with
 * (`payments/charge/x` is key `x` of `payments/charge` when that handler has its own
 * limit, else key `charge/x` of `payments`).
 */
export function resolvePattern(pattern: string, scopes: Iterable<string>): PatternTarget {
  const byLength = [...scopes].sort((a, b) => b.length - a.length);
  const scope = byLength.find((s) => pattern === s || pattern.startsWith(`${s}/`));
  if (scope === undefined) {
    const known = byLength.length ? `the limits declared are ${byLength.map((s) => `'${s}'`).join(", ")}` : "no service or handler declares one";
    return {
      error:
        `pattern '${pattern}' matches no declared limit: ${known}. A rule changes a limit the code declares ` +
        `(concurrency or rate on a service or handler), so that targets without one pay nothing; declare one and deploy first`,
    };
  }
  const rest = pattern.slice(scope.length + 1);
  return { scope, key: rest === "" || rest === "*" ? null : rest };
}

/** The limits in force: the code's, with each dimension the rule sets replaced. */
export function effectiveLimits(declared: Limits, rule: RuleLimits | null): Limits {
  const out: Limits = {};
  const concurrency = rule && "concurrency" in rule ? rule.concurrency : declared.concurrency;
  const rate = rule && "rate" in rule ? rule.rate : declared.rate;
  if (concurrency !== null && concurrency !== undefined) out.concurrency = concurrency;
  if (rate !== null && rate !== undefined) out.rate = rate;
  return out;
}

export function sameLimits(a: Limits, b: Limits): boolean {
  return a.concurrency === b.concurrency && a.rate?.limit === b.rate?.limit && a.rate?.perMs === b.rate?.perMs;
}

/** A key's rule: the scope-wide rule with the key's own over it, dimension by dimension. */
export function ruleForKey(rules: readonly LimitRule[], key: string): RuleLimits | null {
  const live = rules.filter((r) => !r.disabled);
  const wide = live.find((r) => r.key === null);
  const own = live.find((r) => r.key === key);
  if (!wide && !own) return null;
  return { ...wide?.limits, ...own?.limits };
}

/** How many watchers one change tells per batch of the store's reads. */
const TELL_BATCH = 500;

export class RuleBook {
  constructor(private readonly store: RuleBookStore) {}

  /** A limiter asks for its key's rule: remembered as a watcher, told at once. */
  watch(key: string): RuleBookEffect[] {
    return this.store.transaction(() => {
      this.store.addWatcher(key);
      return [{ type: "tell", key, rule: ruleForKey(this.store.rules(), key), version: this.store.version() }];
    });
  }

  rules(): LimitRule[] {
    return this.store.rules();
  }

  /**
   * Applies changes (already resolved to this scope) atomically: any failed precondition
   * changes nothing. Tells every watcher a changed rule covers.
   */
  upsert(changes: readonly (RuleChange & { key: string | null; scope: string })[], now: number): { ok: true; rules: LimitRule[]; effects: RuleBookEffect[] } | { ok: false; message: string } {
    return this.store.transaction(() => {
      const existing = new Map(this.store.rules().map((r) => [r.pattern, r]));
      const problem = changes.map((c) => preconditionProblem(c, existing.get(canonical(c)))).find(Boolean);
      if (problem) return { ok: false as const, message: problem };
      const version = this.store.version() + 1;
      const saved = changes.map((c) => {
        const before = existing.get(canonical(c));
        const rule: LimitRule = {
          pattern: canonical(c),
          scope: c.scope,
          key: c.key,
          limits: c.limits,
          ...(c.description !== undefined ? { description: c.description } : before?.description !== undefined ? { description: before.description } : {}),
          disabled: c.disabled ?? before?.disabled ?? false,
          version,
          modifiedAt: now,
        };
        this.store.saveRule(rule);
        return rule;
      });
      this.store.setVersion(version);
      return { ok: true as const, rules: saved, effects: this.#tellCovered(saved.map((r) => r.key)) };
    });
  }

  /** Deletes a rule; false when there is none with this pattern. */
  remove(change: { pattern: string; key: string | null; scope: string }): { removed: boolean; effects: RuleBookEffect[] } {
    return this.store.transaction(() => {
      const pattern = canonical(change);
      if (!this.store.rules().some((r) => r.pattern === pattern)) return { removed: false, effects: [] };
      this.store.deleteRule(pattern);
      this.store.setVersion(this.store.version() + 1);
      return { removed: true, effects: this.#tellCovered([change.key]) };
    });
  }

  /** Tells the watchers of these keys (null: every watcher) their rule as it now is. */
  #tellCovered(keys: readonly (string | null)[]): RuleBookEffect[] {
    const rules = this.store.rules();
    const version = this.store.version();
    const tell = (key: string): RuleBookEffect => ({ type: "tell", key, rule: ruleForKey(rules, key), version });
    if (!keys.includes(null)) return [...new Set(keys as string[])].filter((k) => this.store.hasWatcher(k)).map(tell);
    const effects: RuleBookEffect[] = [];
    for (let page = this.store.watchers(null, TELL_BATCH); page.length > 0; page = this.store.watchers(page[page.length - 1]!, TELL_BATCH)) {
      effects.push(...page.map(tell));
    }
    return effects;
  }
}

/** One spelling per rule: `scope` for every key (so `payments/*` and `payments` are one rule). */
function canonical(change: { scope: string; key: string | null }): string {
  return change.key === null ? change.scope : `${change.scope}/${change.key}`;
}

function preconditionProblem(change: RuleChange & { scope: string; key: string | null }, existing: LimitRule | undefined): string | undefined {
  const p = change.precondition ?? { type: "none" };
  if (p.type === "does_not_exist" && existing) return `rule '${canonical(change)}' already exists (version ${existing.version}): drop the precondition to replace it`;
  if (p.type === "matches" && existing?.version !== p.version) {
    return `rule '${canonical(change)}' is at version ${existing ? existing.version : "none (it does not exist)"}, not ${p.version}: read it again and retry`;
  }
  return undefined;
}
