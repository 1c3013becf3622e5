/**
 * What a store keeps beside its rows, tied to the outcome of the transaction that wrote
 * them. Transactions nest (an inner one is a savepoint): an inner one's writes stand only
 * when every enclosing one commits, so its hooks move to the enclosing transaction when it
 * returns, and take effect when the outermost returns (committed) or the transaction that
 * holds them throws (rolled back).
 */
interface Frame {
  /** Run once the outermost transaction returned. */
  commit: (() => void)[];
  /** Run, newest first, when the transaction holding them throws. */
  rollback: (() => void)[];
}

export class TransactionHooks {
  readonly #open: Frame[] = [];

  /** Runs `atomically` (which runs the transaction) with its hooks; `undo` is its first rollback hook. */
  run<T>(atomically: () => T, undo?: () => void): T {
    const frame: Frame = { commit: [], rollback: undo ? [undo] : [] };
    this.#open.push(frame);
    let result: T;
    try {
      result = atomically();
    } catch (error) {
      this.#open.pop();
      for (const hook of frame.rollback.reverse()) hook();
      throw error;
    }
    this.#open.pop();
    const outer = this.#open.at(-1);
    if (outer) {
      outer.commit.push(...frame.commit);
      outer.rollback.push(...frame.rollback);
    } else for (const hook of frame.commit) hook();
    return result;
  }

  /**
   * Runs `work` once the open transaction commits (dropped if it rolls back), at once when
   * none is open. `work` must not throw: the transaction has committed by then.
   */
  afterCommit(work: () => void): void {
    const frame = this.#open.at(-1);
    if (frame) frame.commit.push(work);
    else work();
  }

  /** Runs `undo` if the open transaction rolls back (nothing to undo when none is open: no rollback). */
  onRollback(undo: () => void): void {
    this.#open.at(-1)?.rollback.push(undo);
  }
}
