/**
 * The journal of one attempt: hands out entry indexes in call order and matches
 * each operation against what a previous attempt recorded.
 * Invariant: an index is assigned once, synchronously, when the operation is
 * called, so concurrent operations replay in the same positions.
 */
import { JOURNAL_MISMATCH_CODE, RestateError } from "../../sdk/errors.js";
import type { Completion, Entry, EntryOf, EntryType } from "./types.js";

/** The code took another path than the journal recorded. Retried like any error. */
export class JournalMismatchError extends RestateError {
  constructor(index: number, recorded: Entry, attempted: { type: EntryType; name: string }) {
    super(
      `Journal mismatch at entry ${index}: the handler called ${describe(attempted)} but the journal recorded ` +
        `${describe(recorded)}. Did the code change while invocations were in flight? ` +
        `Deploy code that takes the recorded path, or cancel the invocation.`,
      { errorCode: JOURNAL_MISMATCH_CODE },
    );
    this.name = "JournalMismatchError";
  }
}

function describe(op: { type: EntryType; name: string }): string {
  return op.name ? `${op.type}("${op.name}")` : `${op.type}()`;
}

export class Journal {
  readonly #entries = new Map<number, Entry>();
  readonly #recordedCount: number;
  #next = 0;

  constructor(recorded: readonly Entry[]) {
    let highest = -1;
    for (const entry of recorded) {
      this.#entries.set(entry.index, entry);
      highest = Math.max(highest, entry.index);
    }
    this.#recordedCount = highest + 1;
  }

  /** True while operations are still being matched against a previous attempt. */
  get replaying(): boolean {
    return this.#next < this.#recordedCount;
  }

  get length(): number {
    return this.#next;
  }

  /** Takes the next index; returns the entry a previous attempt recorded there, if any. */
  advance<K extends EntryType>(type: K, name: string): { index: number; recorded?: EntryOf<K> } {
    const index = this.#next++;
    const recorded = this.#entries.get(index);
    if (recorded && (recorded.type !== type || recorded.name !== name)) {
      throw new JournalMismatchError(index, recorded, { type, name });
    }
    return recorded ? { index, recorded: recorded as EntryOf<K> } : { index };
  }

  remember(entry: Entry): void {
    this.#entries.set(entry.index, entry);
  }

  /** Whether entry `index` has its completion (recorded, or arrived since). */
  done(index: number): boolean {
    return this.#entries.get(index)?.done ?? false;
  }

  /** Stores a completion that arrived for an entry (maybe not reached yet by this attempt). */
  complete(index: number, completion: Completion): Entry | undefined {
    const entry = this.#entries.get(index);
    if (!entry || entry.done) return undefined;
    entry.done = true;
    entry.completion = completion;
    return entry;
  }
}
