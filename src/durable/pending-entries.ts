/**
 * The pending journal entries this instance appended to the invocations it inserted, so
 * that the completion of one (a call's answer: two per chain call) finds the entry it
 * judges without reading it back (issue 14). Only invocations inserted here: their
 * journal is in this build's format, so an entry read from memory is the one the table
 * would give (decoded from the same stored form).
 * It may miss an entry (then the store reads the table) but never holds one the table
 * does not have as pending: an append that rolls back takes its entry back; a completion,
 * a rewrite or a deletion only removes entries, which a rollback leaves removed.
 */
import type { Entry } from "../engine/types.js";

/** Invocations followed at most: past it, new ones are read from the table. */
const MAX_INVOCATIONS = 10_000;

export class PendingEntries {
  readonly #byInvocation = new Map<string, Map<number, Entry>>();

  constructor(private readonly onRollback: (undo: () => void) => void) {}

  /** `inv` was inserted here: its pending entries are followed from now on. */
  inserted(inv: string): void {
    if (this.#byInvocation.size >= MAX_INVOCATIONS) return;
    const entries = new Map<number, Entry>();
    this.#byInvocation.set(inv, entries);
    this.onRollback(() => this.#byInvocation.get(inv) === entries && this.#byInvocation.delete(inv));
  }

  /** Entry `entry.index` of `inv` was stored pending, as `entry` (decoded from its stored form). */
  appended(inv: string, entry: Entry): void {
    const entries = this.#byInvocation.get(inv);
    if (!entries) return;
    entries.set(entry.index, entry);
    this.onRollback(() => entries.get(entry.index) === entry && entries.delete(entry.index));
  }

  /** The pending entry `idx` of `inv`, when followed. */
  get(inv: string, idx: number): Entry | undefined {
    return this.#byInvocation.get(inv)?.get(idx);
  }

  /** Entry `idx` of `inv` is pending no more (completed, or stored again as done). */
  completed(inv: string, idx: number): void {
    this.#byInvocation.get(inv)?.delete(idx);
  }

  /** `inv` completed or was deleted: its entries are no longer followed. */
  ended(inv: string): void {
    this.#byInvocation.delete(inv);
  }
}
