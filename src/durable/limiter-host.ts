/**
 * A Resolute object acting as a limiter ("limiter:<scope>:<key>") or as a limit
 * scope's rule book ("limits:<scope>") (issue 15): the same class, no new binding.
 * Applies the limit deliveries through the engine's Limiter and RuleBook, and
 * turns their effects into outbox rows in the same transaction, so a grant, a
 * wake-up or a rule is durable exactly when the change that made it is.
 */
import { Limiter, limiterOwner, ruleBookOwner, type LimiterEffect, type LimiterView } from "../engine/limiter.js";
import { RuleBook, type LimitRule, type RuleBookEffect, type RuleChange } from "../engine/limit-rules.js";
import type { DeliveryReply, LimitDelivery } from "./protocol.js";
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
  | { view: "limiter"; listed?: number }
  | { view: "limitRules"; watchersAfter?: string; watchers?: number }
  | { view: "upsertLimitRules"; scope: string; changes: (RuleChange & { key: string | null })[] }
  | { view: "deleteLimitRule"; scope: string; pattern: string; key: string | null };

export type LimitRulesAnswer = { rules: LimitRule[]; version: number; watchers: string[] };
export type UpsertAnswer = { ok: true; rules: LimitRule[]; told: number } | { ok: false; message: string };

const LIMIT_ADMIN_VIEWS = new Set(["limiter", "limitRules", "upsertLimitRules", "deleteLimitRule"]);

export function isLimitsAdminView(view: { view: string }): view is LimitsAdminView {
  return LIMIT_ADMIN_VIEWS.has(view.view);
}

export class LimiterHost {
  #limiter: Limiter | undefined;
  #limiterStore: SqlLimiterStore | undefined;
  #book: RuleBook | undefined;
  #bookStore: SqlRuleBookStore | undefined;
  /** This object's name as a limiter, learned from the deliveries it gets. */
  #self: string | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: Store,
    private readonly ports: LimiterHostPorts,
  ) {}

  /**
   * Applies a delivery meant for a limiter or a rule book (a grant is the invocation owner's:
   * not here). An acquire granted at once is answered with the grant (see DeliveryReply).
   */
  apply(d: Exclude<LimitDelivery, { kind: "grant" }>): DeliveryReply {
    const now = this.ports.now();
    return this.storage.transactionSync((): DeliveryReply => {
      switch (d.kind) {
        case "acquire": {
          this.#self = d.owner;
          const effects = this.#limiterOf().acquire({ invocationId: d.invocationId, owner: d.from, round: d.round, scope: d.scope, key: d.key, declared: d.declared }, now);
          const mine = effects.find((e) => e.type === "grant" && e.invocationId === d.invocationId && e.round === d.round);
          this.#limiterEffects(effects.filter((e) => e !== mine), now);
          return mine ? { kind: "granted", invocationId: d.invocationId, round: d.round, limiter: d.owner } : undefined;
        }
        case "release":
          this.#self = d.owner;
          return void this.#limiterEffects(this.#limiterOf().release(d.invocationId, d.round, now), now);
        case "limiterTick":
          this.#self = d.owner;
          return void this.#limiterEffects(this.#limiterOf().tick(now), now);
        case "limitRule":
          this.#self = d.owner;
          return void this.#limiterEffects(this.#limiterOf().applyRule(d.rule, d.version, now), now);
        case "watchLimit":
          return void this.#bookEffects(d.scope, this.#bookOf().watch(d.key), now);
      }
    });
  }

  admin(view: LimitsAdminView): LimiterView | LimitRulesAnswer | UpsertAnswer | { removed: boolean } | null {
    const now = this.ports.now();
    switch (view.view) {
      case "limiter":
        // Answers null without creating tables when this object never was a limiter.
        return this.#hasTables("limiter_config") ? this.#limiterOf().view(now, view.listed ?? 100) ?? null : null;
      case "limitRules": {
        if (!this.#hasTables("limit_rules")) return { rules: [], version: 0, watchers: [] };
        const store = this.#bookStoreOf();
        return { rules: store.rules(), version: store.version(), watchers: store.watchers(view.watchersAfter ?? null, view.watchers ?? 100) };
      }
      case "upsertLimitRules":
        return this.storage.transactionSync(() => {
          const result = this.#bookOf().upsert(view.changes.map((c) => ({ ...c, scope: view.scope })), now);
          if (!result.ok) return result;
          this.#bookEffects(view.scope, result.effects, now);
          return { ok: true as const, rules: result.rules, told: result.effects.length };
        });
      case "deleteLimitRule":
        return this.storage.transactionSync(() => {
          const result = this.#bookOf().remove({ pattern: view.pattern, scope: view.scope, key: view.key });
          this.#bookEffects(view.scope, result.effects, now);
          return { removed: result.removed };
        });
    }
  }

  #limiterEffects(effects: LimiterEffect[], now: number): void {
    const self = this.#self!;
    let deliver = false;
    for (const e of effects) {
      if (e.type === "grant") {
        this.store.enqueue(e.owner, { kind: "grant", owner: e.owner, invocationId: e.invocationId, round: e.round, limiter: self }, now);
        deliver = true;
      } else if (e.type === "wake") {
        // A row of its own outbox, due at `at`: durable, and the alarm follows the outbox.
        this.store.enqueue(self, { kind: "limiterTick", owner: self, at: e.at }, e.at);
        this.ports.alarmBy(e.at);
      } else {
        const book = ruleBookOwner(e.scope);
        this.store.enqueue(book, { kind: "watchLimit", owner: book, scope: e.scope, key: e.key }, now);
        deliver = true;
      }
    }
    if (deliver) this.ports.deliverSoon();
  }

  #bookEffects(scope: string, effects: RuleBookEffect[], now: number): void {
    for (const e of effects) {
      const limiter = limiterOwner(scope, e.key);
      this.store.enqueue(limiter, { kind: "limitRule", owner: limiter, rule: e.rule, version: e.version }, now);
    }
    if (effects.length > 0) this.ports.deliverSoon();
  }

  #hasTables(table: string): boolean {
    if (table === "limiter_config" && this.#limiterStore) return true;
    if (table === "limit_rules" && this.#bookStore) return true;
    return this.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray().length > 0;
  }

  #limiterOf(): Limiter {
    this.#limiterStore ??= new SqlLimiterStore(this.storage);
    return (this.#limiter ??= new Limiter(this.#limiterStore));
  }

  #bookStoreOf(): SqlRuleBookStore {
    return (this.#bookStore ??= new SqlRuleBookStore(this.storage));
  }

  #bookOf(): RuleBook {
    return (this.#book ??= new RuleBook(this.#bookStoreOf()));
  }
}
