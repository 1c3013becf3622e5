/**
 * A Resolute object acting as a limiter or a limit scope's rule book (issue 15): the
 * same class, no new binding. The engine's LimitHost over this object's SQLite
 * (limiter-tables.ts, created on first use) and outbox, each delivery one
 * transaction; and the admin views of the limits.
 */
import type { LimiterView } from "../engine/limiter.js";
import type { LimitRule, RuleChange } from "../engine/limit-rules.js";
import { LimitHost } from "../engine/limit-host.js";
import type { GrantReply, LimiterDelivery } from "../engine/messages.js";
import type { Store } from "./store.js";
import { SqlLimiterStore, SqlRuleBookStore } from "./limiter-tables.js";

export interface LimiterHostPorts {
  now(): number;
  /** The outbox has rows due now: deliver them. */
  deliverSoon(): void;
  /** Work is due at `at`: the alarm must fire by then. */
  alarmBy(at: number): void;
}

/** Admin requests a limiter or a rule book answers. */
export type LimitsAdminView =
  | { op: "limiter"; listed?: number }
  | { op: "limitRules"; watchersAfter?: string; watchers?: number }
  | { op: "upsertLimitRules"; scope: string; changes: (RuleChange & { key: string | null })[] }
  | { op: "deleteLimitRule"; scope: string; pattern: string; key: string | null };

export type LimitRulesAnswer = { rules: LimitRule[]; version: number; watchers: string[] };
export type UpsertAnswer = { ok: true; rules: LimitRule[]; told: number } | { ok: false; message: string };

const LIMIT_ADMIN_VIEWS = new Set(["limiter", "limitRules", "upsertLimitRules", "deleteLimitRule"]);

export function isLimitsAdminView(request: { op: string }): request is LimitsAdminView {
  return LIMIT_ADMIN_VIEWS.has(request.op);
}

export class LimiterHost {
  #limiterStore: SqlLimiterStore | undefined;
  #bookStore: SqlRuleBookStore | undefined;
  #host: LimitHost;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: Store,
    private readonly ports: LimiterHostPorts,
  ) {
    this.#host = this.#newHost();
  }

  /** The limiter's stores run in the object's store's transactions (it is their LimitTransactions): their writes and undos join the delivery's. */
  #newHost(): LimitHost {
    return new LimitHost({
      limiterStore: () => (this.#limiterStore ??= this.#made(new SqlLimiterStore(this.storage, this.store))),
      ruleBookStore: () => (this.#bookStore ??= this.#made(new SqlRuleBookStore(this.storage, this.store))),
      enqueue: (owner, delivery, at) => this.store.enqueue(owner, delivery, at),
      deliverSoon: () => this.ports.deliverSoon(),
      wakeBy: (at) => this.ports.alarmBy(at),
    });
  }

  /**
   * A store just made (its tables created if they were not): rolled back, its tables may be
   * gone, so it is forgotten with the host caching it, as LazySql forgets the tables it made.
   */
  #made<S>(made: S): S {
    this.store.onRollback(() => {
      this.#limiterStore = this.#bookStore = undefined;
      this.#host = this.#newHost();
    });
    return made;
  }

  /**
   * Applies a delivery meant for a limiter or a rule book, in one transaction with the rows it
   * enqueues (the object's store's: tables it creates, even the core ones, and what the limiter
   * keeps in memory are undone by its rollback hooks).
   */
  apply(d: LimiterDelivery): GrantReply | undefined {
    const now = this.ports.now();
    return this.store.transaction(() => this.#host.apply(d, now));
  }

  admin(view: LimitsAdminView): LimiterView | LimitRulesAnswer | UpsertAnswer | { removed: boolean } | null {
    const now = this.ports.now();
    switch (view.op) {
      case "limiter":
        // Null, creating no tables, when this object never was a limiter.
        return this.#hasTable("limiter_config") ? this.#host.limiter.view(now, view.listed ?? 100) ?? null : null;
      case "limitRules": {
        if (!this.#hasTable("limit_rules")) return { rules: [], version: 0, watchers: [] };
        const store = (this.#bookStore ??= this.#made(new SqlRuleBookStore(this.storage, this.store)));
        return { rules: store.rules(), version: store.version(), watchers: store.watchers(view.watchersAfter ?? null, view.watchers ?? 100) };
      }
      case "upsertLimitRules":
        return this.store.transaction(() => {
          const result = this.#host.ruleBook.upsert(view.changes.map((c) => ({ ...c, scope: view.scope })), now);
          if (!result.ok) return result;
          this.#host.ruleBookEffects(view.scope, result.effects, now);
          return { ok: true as const, rules: result.rules, told: result.effects.length };
        });
      case "deleteLimitRule":
        return this.store.transaction(() => {
          const result = this.#host.ruleBook.remove({ pattern: view.pattern, scope: view.scope, key: view.key });
          this.#host.ruleBookEffects(view.scope, result.effects, now);
          return { removed: result.removed };
        });
    }
  }

  #hasTable(table: "limiter_config" | "limit_rules"): boolean {
    if ((table === "limiter_config" && this.#limiterStore) || (table === "limit_rules" && this.#bookStore)) return true;
    return this.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray().length > 0;
  }
}
