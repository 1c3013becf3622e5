/**
 * The invocation owner's side of the limits (issue 15): an invocation of a limited
 * target asks its limiter for a slot instead of starting (status `ready`), starts
 * when the grant arrives, and gives the slot back when it ends in any way or pauses.
 * Each ask is remembered in `limit_slots` (which limiter, which round) until the
 * invocation ends, so the release goes where the ask went even if a deploy moved
 * the limit meanwhile, and a grant that no longer matches an ask is given back.
 *
 * Invariant: every ask is followed by exactly one release of its round (the ask and
 * the status change commit together, and so do the end and the release); an object
 * that never hosted a limited invocation has no table and pays nothing.
 */
import { LIMIT_KEY_HEADER } from "../../sdk/flow-control.js";
import type { DeclaredLimit } from "../engine/registry.js";
import { limiterOwner } from "../engine/limiter.js";
import { invocationOwner } from "../engine/ids.js";
import { LIMIT_SLOTS_SQL } from "./schema.js";
import type { Store } from "./store.js";

export interface Slot {
  limiter: string;
  round: number;
}

export class LimitSlots {
  /** Whether the table exists here; undefined until first needed (one lookup per instance). */
  #exists: boolean | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: Store,
  ) {}

  /**
   * Asks the limiter of `limit` and the invocation's limit key for a slot; the caller sets
   * status `ready`. `fresh`: a new invocation, which cannot have asked before.
   */
  ask(invocationId: string, headers: Record<string, string>, limit: DeclaredLimit, now: number, fresh = false): void {
    this.#create();
    const key = headers[LIMIT_KEY_HEADER] ?? "";
    const limiter = limiterOwner(limit.scope, key);
    // Rounds grow per invocation id: the time of the ask, past any earlier round of the same id.
    const previous = fresh ? -1 : (this.slot(invocationId)?.round ?? -1);
    const round = Math.max(now, previous + 1);
    this.storage.sql.exec("INSERT OR REPLACE INTO limit_slots (inv, limiter, round) VALUES (?, ?, ?)", invocationId, limiter, round);
    const from = invocationOwner(invocationId)!;
    this.store.enqueue(limiter, { kind: "acquire", owner: limiter, scope: limit.scope, key, invocationId, round, from, declared: limit.limits }, now);
  }

  slot(invocationId: string): Slot | undefined {
    if (!this.#has()) return undefined;
    const row = this.storage.sql.exec<{ limiter: string; round: number }>("SELECT limiter, round FROM limit_slots WHERE inv = ?", invocationId).toArray()[0];
    return row ? { limiter: row.limiter, round: Number(row.round) } : undefined;
  }

  /** Gives the slot (or the place in the queue) back, keeping the round so a later ask is a new one (pause). */
  giveBack(invocationId: string, now: number): boolean {
    const slot = this.slot(invocationId);
    if (!slot) return false;
    this.release(slot.limiter, invocationId, slot.round, now);
    return true;
  }

  /** The invocation ended: releases what it asked for, unless it was given back already (`given`). */
  ended(invocationId: string, given: boolean, now: number): boolean {
    if (!this.#has()) return false;
    const row = this.storage.sql.exec<{ limiter: string; round: number }>("DELETE FROM limit_slots WHERE inv = ? RETURNING limiter, round", invocationId).toArray()[0];
    if (!row || given) return false;
    this.release(row.limiter, invocationId, Number(row.round), now);
    return true;
  }

  /** Sends a release of `round` to `limiter` (also for a grant that matches no ask). */
  release(limiter: string, invocationId: string, round: number, now: number): void {
    this.store.enqueue(limiter, { kind: "release", owner: limiter, invocationId, round }, now);
  }

  #create(): void {
    if (this.#exists) return;
    this.storage.sql.exec(LIMIT_SLOTS_SQL);
    this.#exists = true;
  }

  #has(): boolean {
    this.#exists ??= this.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'limit_slots'").toArray().length > 0;
    return this.#exists;
  }
}
