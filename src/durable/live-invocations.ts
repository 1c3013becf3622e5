/**
 * What a Store instance knows in memory of the invocations that are not completed: each
 * one's seq (its journal rows are keyed by it, so an append needs no lookup of the id) and,
 * for those inserted by this instance, their pending journal entries (a call's answer is
 * judged without reading its entry back: two reads per chain call, issue 14). Only
 * invocations inserted here have their entries followed: their journal is in this build's
 * format, so an entry held here is the one the table would give (decoded from the same
 * stored form).
 * It may miss a seq (then the store reads the table) but never holds one the table does not
 * have, and a followed invocation's pending entries are exactly the table's: an insert or an
 * append that rolls back is taken back here; a completion that rolls back ends the following
 * of its invocation; a delete only removes, which a rollback leaves removed.
 */
import type { Entry } from "../engine/types.js";

/** Invocations whose entries are followed at most: past it, new ones are read from the table. */
const MAX_FOLLOWED = 10_000;

interface Live {
  readonly seq: number;
  /** Its pending entries by index, when inserted here. */
  readonly pending?: Map<number, Entry>;
}

export class LiveInvocations {
  readonly #byId = new Map<string, Live>();
  #followed = 0;

  constructor(private readonly onRollback: (undo: () => void) => void) {}

  /** `id` was inserted here with `seq`: its pending entries are followed from now on. */
  inserted(id: string, seq: number): void {
    const live: Live = this.#followed < MAX_FOLLOWED ? { seq, pending: new Map() } : { seq };
    this.#set(id, live);
    // Rolled back, the row is gone but the id would still name the seq: an append would write
    // a journal row under it for a later invocation to find (a woken instance gives it out again).
    this.onRollback(() => this.#byId.get(id) === live && this.#delete(id));
  }

  /** `id` was read from the table, not completed, with `seq`. */
  read(id: string, seq: number): void {
    if (this.#byId.get(id)?.seq !== seq) this.#set(id, { seq });
  }

  seqOf(id: string): number | undefined {
    return this.#byId.get(id)?.seq;
  }

  /** Entry `entry.index` of `id` was stored pending, as `entry` (decoded from its stored form). */
  appended(id: string, entry: Entry): void {
    const pending = this.#byId.get(id)?.pending;
    if (!pending) return;
    const before = pending.get(entry.index);
    pending.set(entry.index, entry);
    // Rolled back, the table holds again what it held before (an entry stored over another gets it back).
    this.onRollback(() => pending.get(entry.index) === entry && (before ? pending.set(entry.index, before) : pending.delete(entry.index)));
  }

  /** The pending entry `idx` of `id` (a live invocation's), when followed. */
  pendingEntry(id: string, idx: number): Entry | undefined {
    return this.#byId.get(id)?.pending?.get(idx);
  }

  /**
   * Entry `idx` of `id` is pending no more (completed, or stored again as done); whether a
   * followed pending entry went. Rolled back, the table has it pending again: the invocation
   * is no longer followed (its entry is not put back, so the count below stays exact).
   */
  entryDone(id: string, idx: number): boolean {
    const live = this.#byId.get(id);
    if (!live?.pending?.delete(idx)) return false;
    this.onRollback(() => this.#byId.get(id) === live && this.#set(id, { seq: live.seq }));
    return true;
  }

  /**
   * How many pending entries `id` has, when followed (the table's count: Restate's "suspended"
   * is a running invocation with some, which the invocation index reads here); undefined: unknown.
   */
  pendingCount(id: string): number | undefined {
    return this.#byId.get(id)?.pending?.size;
  }

  /** `id` completed or was deleted. */
  ended(id: string): void {
    this.#delete(id);
  }

  #set(id: string, live: Live): void {
    this.#delete(id);
    this.#byId.set(id, live);
    if (live.pending) this.#followed++;
  }

  #delete(id: string): void {
    if (this.#byId.get(id)?.pending) this.#followed--;
    this.#byId.delete(id);
  }
}
