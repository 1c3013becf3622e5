/**
 * The limiter's and the rule book's stores in memory: for the in-memory test
 * runtime and the engine's tests. The same contract as the SQLite stores
 * (src/durable/limiter-tables.ts); one contract suite runs against both.
 */
import type { HolderCursor, LimiterConfig, LimiterStore, SlotEntry } from "./limiter.js";
import type { LimitRule, RuleBookStore } from "./limit-rules.js";

export class MemoryLimiterStore implements LimiterStore {
  #config: LimiterConfig | undefined;
  readonly #holders = new Map<string, SlotEntry>();
  /** Insertion order is queue order. */
  readonly #queue = new Map<string, SlotEntry>();
  #starts: number[] = [];
  readonly #released = new Map<string, { round: number; forgetAt: number }>();

  config(): LimiterConfig | undefined {
    return this.#config && structuredClone(this.#config);
  }
  saveConfig(config: LimiterConfig): void {
    this.#config = structuredClone(config);
  }
  holder(id: string): SlotEntry | undefined {
    return this.#holders.get(id);
  }
  holderCount(): number {
    return this.#holders.size;
  }
  addHolder(entry: SlotEntry): void {
    this.#holders.set(entry.invocationId, { ...entry });
  }
  removeHolder(id: string): void {
    this.#holders.delete(id);
  }
  waiter(id: string): SlotEntry | undefined {
    return this.#queue.get(id);
  }
  head(): SlotEntry | undefined {
    return this.#queue.values().next().value;
  }
  queueDepth(): number {
    return this.#queue.size;
  }
  push(entry: SlotEntry): void {
    this.#queue.set(entry.invocationId, { ...entry });
  }
  removeWaiter(id: string): void {
    this.#queue.delete(id);
  }
  holders(limit: number, after?: HolderCursor): SlotEntry[] {
    const sorted = [...this.#holders.values()].sort((a, b) => a.at - b.at || (a.invocationId < b.invocationId ? -1 : a.invocationId > b.invocationId ? 1 : 0));
    const from = after ? sorted.filter((h) => h.at > after.at || (h.at === after.at && h.invocationId > after.invocationId)) : sorted;
    return from.slice(0, limit);
  }
  waiters(limit: number): SlotEntry[] {
    return [...this.#queue.values()].slice(0, limit);
  }
  startsAfter(time: number): { count: number; earliest?: number } {
    const after = this.#starts.filter((t) => t > time);
    return after.length ? { count: after.length, earliest: Math.min(...after) } : { count: 0 };
  }
  recordStart(at: number): void {
    this.#starts.push(at);
  }
  forgetStartsUpTo(time: number): void {
    this.#starts = this.#starts.filter((t) => t > time);
  }
  releasedRound(id: string): number | undefined {
    return this.#released.get(id)?.round;
  }
  markReleased(id: string, round: number, forgetAt: number): void {
    this.#released.set(id, { round, forgetAt });
  }
  forgetReleased(now: number): void {
    for (const [id, { forgetAt }] of this.#released) if (forgetAt <= now) this.#released.delete(id);
  }
  transaction<T>(fn: () => T): T {
    return fn();
  }
}

export class MemoryRuleBookStore implements RuleBookStore {
  readonly #rules = new Map<string, LimitRule>();
  #version = 0;
  readonly #watchers = new Set<string>();

  rules(): LimitRule[] {
    return [...this.#rules.values()].map((r) => structuredClone(r)).sort((a, b) => (a.pattern < b.pattern ? -1 : 1));
  }
  saveRule(rule: LimitRule): void {
    this.#rules.set(rule.pattern, structuredClone(rule));
  }
  deleteRule(pattern: string): void {
    this.#rules.delete(pattern);
  }
  version(): number {
    return this.#version;
  }
  setVersion(version: number): void {
    this.#version = version;
  }
  addWatcher(key: string): void {
    this.#watchers.add(key);
  }
  hasWatcher(key: string): boolean {
    return this.#watchers.has(key);
  }
  watchers(after: string | null, limit: number): string[] {
    return [...this.#watchers].sort().filter((k) => after === null || k > after).slice(0, limit);
  }
  transaction<T>(fn: () => T): T {
    return fn();
  }
}
