/**
 * Decides the outcome of all / race / any / allSettled from the order in which
 * the inputs settled. The same function runs live and on replay (fed with the
 * recorded order), which is what makes combinators deterministic. Pure.
 */
import type { CombinatorKind } from "../../sdk/promise.js";
import type { Settlement } from "./types.js";

export type { Settlement };

/** Returns true once `settled` (in order) decides the combinator over `count` inputs. */
export function isDecided(kind: CombinatorKind, count: number, settled: readonly Settlement[]): boolean {
  const last = settled[settled.length - 1];
  if (!last) return count === 0;
  switch (kind) {
    case "race":
      return true;
    case "all":
      return !last.ok || settled.length === count;
    case "any":
      return last.ok || settled.length === count;
    case "allSettled":
      return settled.length === count;
  }
}
