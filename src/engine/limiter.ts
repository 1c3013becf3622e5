/**
 * The limiter of one (limit scope, limit key): who holds a slot, who waits (FIFO),
 * and the starts of the current rate window. Invocations ask for a slot (acquire),
 * the limiter grants slots in arrival order while the limits allow, and a holder
 * gives its slot back when it ends (release).
 *
 * Invariants: at most `concurrency` holders at once and at most `rate.limit` grants
 * in any window of `rate.perMs`, across crashes (every change is one transaction of
 * the store); messages are deduplicated by (invocation, round): a redelivered acquire
 * queues nothing twice (a holder's is granted again: the first answer may have been
 * lost), a release frees a slot exactly once, and an acquire that arrives after its own
 * release (delivered out of order) is ignored.
 * Nothing is granted until the rule book has answered (an operator's rule may be
 * lower than the code's). A holder's release is a one-way message its owner sends once
 * after its end is durable, so one can be lost (the owner died in between): while the
 * limiter is full and someone waits, holders granted over REGRANT_AFTER_MS ago are granted
 * again, and an owner whose invocation no longer holds that slot gives it back (through
 * its outbox, retried); a slot is never freed without its owner's word.
 * Pure: storage through a synchronous port, time as `now`.
 */
import type { Limits } from "../../sdk/flow-control.js";
import { effectiveLimits, sameLimits, type RuleLimits } from "./limit-rules.js";

/** An invocation waiting for or holding a slot; `at`: when it asked, or was granted. */
export interface SlotEntry {
  invocationId: string;
  /** Its owner (the object that runs it), where the grant goes. */
  owner: string;
  /**
   * Which ask this is: it grows with each ask of one invocation id (its owner uses the time it
   * asked), so asking again after a pause, or an id used again after a purge, is a new ask.
   */
  round: number;
  at: number;
}

export interface LimiterConfig {
  scope: string;
  key: string;
  /** The limits the code declares (the latest acquire's: a deploy may change them). */
  declared: Limits;
  /** The operator's rule over them (per dimension), null when there is none. */
  rule: RuleLimits | null;
  /** The rule book's version of `rule`: older answers are ignored. */
  ruleVersion: number;
  /** Whether the rule book has answered; grants wait until it has. */
  rulesKnown: boolean;
  /** When a wake-up is already scheduled (a full rate window, the next check of holders), if any. */
  wakeAt: number | null;
  /** When holders were last granted again (a check for lost releases), if ever. */
  checkedAt?: number;
  /** Where that check stopped when it had more holders than one batch: the next one goes on from there. */
  checkedThrough?: HolderCursor;
}

/** A place in the holders' order (the time they were granted, then the invocation id). */
export interface HolderCursor {
  at: number;
  invocationId: string;
}

/** What the limiter needs from storage: synchronous, one transaction per event. */
export interface LimiterStore {
  config(): LimiterConfig | undefined;
  saveConfig(config: LimiterConfig): void;
  holder(invocationId: string): SlotEntry | undefined;
  holderCount(): number;
  addHolder(entry: SlotEntry): void;
  removeHolder(invocationId: string): void;
  waiter(invocationId: string): SlotEntry | undefined;
  /** The longest-waiting entry, left in place. */
  head(): SlotEntry | undefined;
  queueDepth(): number;
  push(entry: SlotEntry): void;
  removeWaiter(invocationId: string): void;
  /** The first `limit` holders (by grant time, then id; after `after` when given) and waiters (in queue order). */
  holders(limit: number, after?: HolderCursor): SlotEntry[];
  waiters(limit: number): SlotEntry[];
  /** Grants recorded after `time`: how many, and the earliest. */
  startsAfter(time: number): { count: number; earliest?: number };
  recordStart(at: number): void;
  forgetStartsUpTo(time: number): void;
  /** The highest round of `invocationId` released, if remembered. */
  releasedRound(invocationId: string): number | undefined;
  markReleased(invocationId: string, round: number, forgetAt: number): void;
  forgetReleased(now: number): void;
  transaction<T>(fn: () => T): T;
}

export type LimiterEffect =
  /** Deliver to `owner`: `invocationId` may start. */
  | { type: "grant"; owner: string; invocationId: string; round: number }
  /** Call `tick` at `at` (a rate window frees a start then). */
  | { type: "wake"; at: number }
  /** Ask the scope's rule book for this key's rule (and to be told of changes). */
  | { type: "watchRules"; scope: string; key: string };

export interface AcquireRequest extends Omit<SlotEntry, "at"> {
  scope: string;
  key: string;
  declared: Limits;
}

/** The name of the limiter object of a limit scope and key (one Durable Object each: limits scale out by key). */
export function limiterOwner(scope: string, key: string): string {
  return `limiter:${scope}:${key}`;
}

/** The name of a limit scope's rule book object. */
export function ruleBookOwner(scope: string): string {
  return `limits:${scope}`;
}

/** How long a released (invocation, round) is remembered, to ignore its late acquire. */
export const RELEASED_MEMORY_MS = 86_400_000;
/**
 * How long a slot is held before a full limiter with waiters asks its owner again (a grant
 * sent again), and how often it asks: a release lost with its owner's crash is found so.
 */
export const REGRANT_AFTER_MS = 5_000;
/** Holders granted again per check, oldest first. */
export const REGRANT_BATCH = 100;

/** What an operator sees of one limiter. */
export interface LimiterView {
  scope: string;
  key: string;
  declared: Limits;
  rule: RuleLimits | null;
  effective: Limits;
  rulesKnown: boolean;
  running: number;
  queued: number;
  /** Grants in the current rate window (when there is a rate limit). */
  startsInWindow?: number;
  holders: SlotEntry[];
  waiters: SlotEntry[];
}

/**
 * `#room`'s answer when the entry must wait: its effects, whether every slot is taken (the
 * holders are then checked), and the config as it left it stored.
 */
interface Waiting {
  wait: LimiterEffect[];
  full: boolean;
  config: LimiterConfig;
}

export class Limiter {
  constructor(private readonly store: LimiterStore) {}

  /** An invocation asks for a slot: queued behind earlier ones, granted when the limits allow. */
  acquire(request: AcquireRequest, now: number): LimiterEffect[] {
    return this.store.transaction(() => {
      const effects: LimiterEffect[] = [];
      let config = this.store.config();
      if (!config) {
        config = { scope: request.scope, key: request.key, declared: request.declared, rule: null, ruleVersion: 0, rulesKnown: false, wakeAt: null };
        effects.push({ type: "watchRules", scope: request.scope, key: request.key });
        this.store.saveConfig(config);
      } else if (!sameLimits(config.declared, request.declared)) {
        config = { ...config, declared: request.declared };
        this.store.saveConfig(config);
      }
      const holder = this.store.holder(request.invocationId);
      if (holder && holder.round === request.round) return [...effects, { type: "grant", owner: holder.owner, invocationId: holder.invocationId, round: holder.round }];
      if (this.#known(request, holder)) return effects;
      const entry = { invocationId: request.invocationId, owner: request.owner, round: request.round, at: now };
      // Nobody waits: granted at once if there is room, without passing through the queue.
      if (config.rulesKnown && this.store.head() === undefined) {
        const room = this.#room(config, entry, now);
        if ("grant" in room) return [...effects, room.grant];
        this.store.push(entry);
        return [...effects, ...this.#waiting(room, now)];
      }
      this.store.push(entry);
      return [...effects, ...this.#pump(config, now)];
    });
  }

  /** A holder ended (or a waiter gave up): its slot, or its place in the queue, goes; the next start. */
  release(invocationId: string, round: number, now: number): LimiterEffect[] {
    return this.store.transaction(() => {
      const holder = this.store.holder(invocationId);
      const held = holder !== undefined && holder.round <= round;
      if (held) this.store.removeHolder(invocationId);
      const waiter = this.store.waiter(invocationId);
      const waited = waiter !== undefined && waiter.round <= round;
      if (waited) this.store.removeWaiter(invocationId);
      // Only a release that found nothing can have overtaken its acquire: remember it, to
      // ignore that acquire (the usual release frees a known slot and leaves no trace).
      if (!held && !waited) {
        this.store.forgetReleased(now);
        this.store.markReleased(invocationId, Math.max(round, this.store.releasedRound(invocationId) ?? 0), now + RELEASED_MEMORY_MS);
      }
      const config = this.store.config();
      return config ? this.#pump(config, now) : [];
    });
  }

  /** A scheduled wake-up: the rate window may have moved on, or holders are due a check. */
  tick(now: number): LimiterEffect[] {
    return this.store.transaction(() => {
      let config = this.store.config();
      if (!config) return [];
      // Its row is gone even when it came early (a restart makes every delivery due at once):
      // the wake-up it stood for is taken back, so what still waits schedules its own again.
      if (config.wakeAt !== null) {
        config = { ...config, wakeAt: null };
        this.store.saveConfig(config);
      }
      return this.#pump(config, now);
    });
  }

  /** The rule book's answer (or a change): the operator's rule for this key; older versions are ignored. */
  applyRule(rule: RuleLimits | null, version: number, now: number): LimiterEffect[] {
    return this.store.transaction(() => {
      const config = this.store.config();
      if (!config || (config.rulesKnown && version <= config.ruleVersion)) return [];
      const next = { ...config, rule, ruleVersion: version, rulesKnown: true };
      this.store.saveConfig(next);
      return this.#pump(next, now);
    });
  }

  view(now: number, listed = 100): LimiterView | undefined {
    const config = this.store.config();
    if (!config) return undefined;
    const effective = effectiveLimits(config.declared, config.rule);
    return {
      scope: config.scope,
      key: config.key,
      declared: config.declared,
      rule: config.rule,
      effective,
      rulesKnown: config.rulesKnown,
      running: this.store.holderCount(),
      queued: this.store.queueDepth(),
      ...(effective.rate ? { startsInWindow: this.store.startsAfter(now - effective.rate.perMs).count } : {}),
      holders: this.store.holders(listed),
      waiters: this.store.waiters(listed),
    };
  }

  /** Whether this (invocation, round) already waits, holds, or was released: a duplicate. */
  #known(request: AcquireRequest, holder: SlotEntry | undefined): boolean {
    const { invocationId, round } = request;
    if ((holder?.round ?? -1) >= round) return true;
    if ((this.store.waiter(invocationId)?.round ?? -1) >= round) return true;
    return (this.store.releasedRound(invocationId) ?? -1) >= round;
  }

  /** Grants slots to the longest waiting while the limits allow. */
  #pump(config: LimiterConfig, now: number): LimiterEffect[] {
    if (!config.rulesKnown) return [];
    const effects: LimiterEffect[] = [];
    for (let head = this.store.head(); head; head = this.store.head()) {
      const room = this.#room(config, head, now);
      if ("wait" in room) return [...effects, ...this.#waiting(room, now)];
      this.store.removeWaiter(head.invocationId);
      effects.push(room.grant);
    }
    return effects;
  }

  /** Someone waits (what `#room` said and left stored): when every slot is taken, holders are checked. */
  #waiting(room: Waiting, now: number): LimiterEffect[] {
    return room.full ? [...room.wait, ...this.#checkHolders(room.config, now)] : room.wait;
  }

  /**
   * Every slot is taken and someone waits: holders granted long ago are granted again (an
   * owner that no longer holds its slot gives it back), and a wake-up comes for the next check.
   */
  #checkHolders(config: LimiterConfig, now: number): LimiterEffect[] {
    const checkedAt = config.checkedAt ?? -Infinity;
    const due = checkedAt <= now - REGRANT_AFTER_MS ? this.#dueForCheck(config.checkedThrough, now) : [];
    const next = due.length > 0 ? now + REGRANT_AFTER_MS : Math.max(this.store.holders(1)[0]?.at ?? now, checkedAt) + REGRANT_AFTER_MS;
    const woken = config.wakeAt !== null && config.wakeAt <= next;
    if (due.length === 0 && woken) return [];
    const { checkedThrough: _, ...rest } = config;
    // A full batch may have more behind it: the next check goes on after its last.
    const through = due.length === REGRANT_BATCH ? { checkedThrough: { at: due.at(-1)!.at, invocationId: due.at(-1)!.invocationId } } : {};
    this.store.saveConfig({ ...(due.length > 0 ? { ...rest, checkedAt: now, ...through } : config), wakeAt: woken ? config.wakeAt : next });
    const grants = due.map((h): LimiterEffect => ({ type: "grant", owner: h.owner, invocationId: h.invocationId, round: h.round }));
    return woken ? grants : [...grants, { type: "wake", at: next }];
  }

  /** Holders granted over REGRANT_AFTER_MS ago, a batch, after where the last check stopped (from the start when none are left there). */
  #dueForCheck(after: HolderCursor | undefined, now: number): SlotEntry[] {
    const old = (from?: HolderCursor) => this.store.holders(REGRANT_BATCH, from).filter((h) => h.at <= now - REGRANT_AFTER_MS);
    const due = old(after);
    return due.length === 0 && after ? old() : due;
  }

  /**
   * Makes `entry` a holder if the limits leave room (its grant), else it waits; a full
   * rate window then schedules a wake-up for when its earliest start leaves it.
   */
  #room(config: LimiterConfig, entry: SlotEntry, now: number): { grant: LimiterEffect } | Waiting {
    const limits = effectiveLimits(config.declared, config.rule);
    if (limits.concurrency !== undefined && this.store.holderCount() >= limits.concurrency) return { wait: [], full: true, config };
    if (limits.rate) {
      this.store.forgetStartsUpTo(now - limits.rate.perMs);
      const window = this.store.startsAfter(now - limits.rate.perMs);
      if (window.count >= limits.rate.limit) {
        const at = (window.earliest ?? now) + limits.rate.perMs;
        if (config.wakeAt !== null && config.wakeAt <= at) return { wait: [], full: false, config };
        const woken = { ...config, wakeAt: at };
        this.store.saveConfig(woken);
        return { wait: [{ type: "wake", at }], full: false, config: woken };
      }
      this.store.recordStart(now);
    }
    this.store.addHolder({ ...entry, at: now });
    return { grant: { type: "grant", owner: entry.owner, invocationId: entry.invocationId, round: entry.round } };
  }
}
