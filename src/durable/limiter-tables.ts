/**
 * The limiter's and the rule book's stores on a Durable Object's SQLite (tables in
 * schema.ts: LIMITER_SQL, RULE_BOOK_SQL), created when an object first acts as one.
 * Synchronous, as the engine's ports are; `transaction` makes each event atomic.
 */
import type { HolderCursor, LimiterConfig, LimiterStore, SlotEntry } from "../engine/limiter.js";
import type { LimitRule, RuleBookStore } from "../engine/limit-rules.js";
import { TransactionHooks } from "../engine/transaction-hooks.js";
import { LIMITER_SQL, RULE_BOOK_SQL } from "./schema.js";

type Row = Record<string, SqlStorageValue>;

/**
 * The transactions these stores' writes join: the object's store's (store.ts over LazySql), so
 * an undo recorded here runs with every other of the same rollback (TransactionHooks).
 */
export interface LimitTransactions {
  transaction<T>(fn: () => T): T;
  onRollback(undo: () => void): void;
}

/** A storage's own transactions with their hooks, for a store used alone (the contract tests). */
export function ownTransactions(storage: DurableObjectStorage): LimitTransactions {
  const hooks = new TransactionHooks();
  return { transaction: (fn) => hooks.run(() => storage.transactionSync(fn)), onRollback: (undo) => hooks.onRollback(undo) };
}

const entryOf = (r: Row): SlotEntry => ({ invocationId: String(r.inv), owner: String(r.owner), round: Number(r.round), at: Number(r.at) });

export class SqlLimiterStore implements LimiterStore {
  readonly #sql: SqlStorage;
  /** The config as stored (this object is its only writer); undefined until read, null when none. */
  #config: LimiterConfig | null | undefined;

  constructor(storage: DurableObjectStorage, private readonly tx: LimitTransactions = ownTransactions(storage)) {
    this.#sql = storage.sql;
    this.#sql.exec(LIMITER_SQL);
  }

  config(): LimiterConfig | undefined {
    if (this.#config === undefined) {
      const row = this.#sql.exec<{ config: string }>("SELECT config FROM limiter_config WHERE k = 1").toArray()[0];
      this.#config = row ? (JSON.parse(row.config) as LimiterConfig) : null;
    }
    return this.#config ?? undefined;
  }
  saveConfig(config: LimiterConfig): void {
    this.#sql.exec("INSERT OR REPLACE INTO limiter_config (k, config) VALUES (1, ?)", JSON.stringify(config));
    this.#config = config;
    this.tx.onRollback(() => (this.#config = undefined)); // rolled back: read it again
  }
  holder(id: string): SlotEntry | undefined {
    const row = this.#sql.exec<Row>("SELECT inv, owner, round, at FROM limiter_holders WHERE inv = ?", id).toArray()[0];
    return row ? entryOf(row) : undefined;
  }
  holderCount(): number {
    return Number(this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM limiter_holders").one().n);
  }
  addHolder(e: SlotEntry): void {
    this.#sql.exec("INSERT OR REPLACE INTO limiter_holders (inv, owner, round, at) VALUES (?, ?, ?, ?)", e.invocationId, e.owner, e.round, e.at);
  }
  removeHolder(id: string): void {
    this.#sql.exec("DELETE FROM limiter_holders WHERE inv = ?", id);
  }
  waiter(id: string): SlotEntry | undefined {
    const row = this.#sql.exec<Row>("SELECT inv, owner, round, at FROM limiter_queue WHERE inv = ?", id).toArray()[0];
    return row ? entryOf(row) : undefined;
  }
  head(): SlotEntry | undefined {
    const row = this.#sql.exec<Row>("SELECT inv, owner, round, at FROM limiter_queue ORDER BY seq LIMIT 1").toArray()[0];
    return row ? entryOf(row) : undefined;
  }
  queueDepth(): number {
    return Number(this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM limiter_queue").one().n);
  }
  push(e: SlotEntry): void {
    // seq: max + 1 (INTEGER PRIMARY KEY), so the queue is in arrival order.
    this.#sql.exec("INSERT OR REPLACE INTO limiter_queue (inv, owner, round, at) VALUES (?, ?, ?, ?)", e.invocationId, e.owner, e.round, e.at);
  }
  removeWaiter(id: string): void {
    this.#sql.exec("DELETE FROM limiter_queue WHERE inv = ?", id);
  }
  holders(limit: number, after?: HolderCursor): SlotEntry[] {
    const rows = after
      ? this.#sql.exec<Row>("SELECT inv, owner, round, at FROM limiter_holders WHERE at > ? OR (at = ? AND inv > ?) ORDER BY at, inv LIMIT ?", after.at, after.at, after.invocationId, limit)
      : this.#sql.exec<Row>("SELECT inv, owner, round, at FROM limiter_holders ORDER BY at, inv LIMIT ?", limit);
    return rows.toArray().map(entryOf);
  }
  waiters(limit: number): SlotEntry[] {
    return this.#sql.exec<Row>("SELECT inv, owner, round, at FROM limiter_queue ORDER BY seq LIMIT ?", limit).toArray().map(entryOf);
  }
  startsAfter(time: number): { count: number; earliest?: number } {
    const row = this.#sql.exec<{ n: number; earliest: number | null }>("SELECT COUNT(*) AS n, MIN(at) AS earliest FROM limiter_starts WHERE at > ?", time).one();
    return row.earliest === null ? { count: 0 } : { count: Number(row.n), earliest: Number(row.earliest) };
  }
  recordStart(at: number): void {
    this.#sql.exec("INSERT INTO limiter_starts (at) VALUES (?)", at);
  }
  forgetStartsUpTo(time: number): void {
    this.#sql.exec("DELETE FROM limiter_starts WHERE at <= ?", time);
  }
  releasedRound(id: string): number | undefined {
    const row = this.#sql.exec<{ round: number }>("SELECT round FROM limiter_released WHERE inv = ?", id).toArray()[0];
    return row ? Number(row.round) : undefined;
  }
  markReleased(id: string, round: number, forgetAt: number): void {
    this.#sql.exec("INSERT OR REPLACE INTO limiter_released (inv, round, forget_at) VALUES (?, ?, ?)", id, round, forgetAt);
  }
  forgetReleased(now: number): void {
    // A few at a time: each release pays for the memory of about one other.
    this.#sql.exec("DELETE FROM limiter_released WHERE inv IN (SELECT inv FROM limiter_released WHERE forget_at <= ? ORDER BY forget_at LIMIT 16)", now);
  }
  transaction<T>(fn: () => T): T {
    return this.tx.transaction(fn);
  }
}

export class SqlRuleBookStore implements RuleBookStore {
  readonly #sql: SqlStorage;

  constructor(storage: DurableObjectStorage, private readonly tx: LimitTransactions = ownTransactions(storage)) {
    this.#sql = storage.sql;
    this.#sql.exec(RULE_BOOK_SQL);
  }

  rules(): LimitRule[] {
    return this.#sql.exec<{ rule: string }>("SELECT rule FROM limit_rules ORDER BY pattern").toArray().map((r) => JSON.parse(r.rule) as LimitRule);
  }
  saveRule(rule: LimitRule): void {
    this.#sql.exec("INSERT OR REPLACE INTO limit_rules (pattern, rule) VALUES (?, ?)", rule.pattern, JSON.stringify(rule));
  }
  deleteRule(pattern: string): void {
    this.#sql.exec("DELETE FROM limit_rules WHERE pattern = ?", pattern);
  }
  version(): number {
    return Number(this.#sql.exec<{ version: number }>("SELECT version FROM limit_book WHERE k = 1").toArray()[0]?.version ?? 0);
  }
  setVersion(version: number): void {
    this.#sql.exec("INSERT OR REPLACE INTO limit_book (k, version) VALUES (1, ?)", version);
  }
  addWatcher(key: string): void {
    this.#sql.exec("INSERT OR IGNORE INTO limit_watchers (key) VALUES (?)", key);
  }
  hasWatcher(key: string): boolean {
    return this.#sql.exec("SELECT 1 FROM limit_watchers WHERE key = ?", key).toArray().length > 0;
  }
  watchers(after: string | null, limit: number): string[] {
    const rows = after === null
      ? this.#sql.exec<{ key: string }>("SELECT key FROM limit_watchers ORDER BY key LIMIT ?", limit)
      : this.#sql.exec<{ key: string }>("SELECT key FROM limit_watchers WHERE key > ? ORDER BY key LIMIT ?", after, limit);
    return rows.toArray().map((r) => r.key);
  }
  transaction<T>(fn: () => T): T {
    return this.tx.transaction(fn);
  }
}
