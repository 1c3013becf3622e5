/**
 * Who may complete which journal entry, and what a cancellation strikes. A
 * completion names its entry by invocation id and index, which are no secret (a
 * workflow's run id derives from its workflow id): so each source completes only
 * the entries it owns. Both hosts (the Durable Object and the memory runtime) ask
 * here before they store a completion; neither reads entries itself. Pure.
 */
import { TerminalError, errorToRecord } from "../../sdk/errors.js";
import { secretsEqual } from "./ids.js";
import type { Completion, Entry } from "./types.js";

/** Where a completion comes from. Durable promises complete their waiters themselves (completePromise). */
export type CompletionSource =
  /** The host's timer of a sleep. */
  | { kind: "timer" }
  /** An awakeable id, from ingress or from another handler's ctx.resolveAwakeable. */
  | { kind: "awakeable"; secret: string; traceparent?: string }
  /**
   * The result of the invocation a call or attach waits on, delivered by that invocation's
   * owner. `calleeId` is absent only in deliveries stored before it was sent along.
   */
  | { kind: "result"; calleeId?: string }
  /** A cancellation: it fails every pending await. */
  | { kind: "cancel" };

/**
 * `complete`: store it and resume the invocation. `duplicate`: the entry is this source's
 * but already complete, so nothing changes (a redelivery, a provider retrying its webhook:
 * Restate answers a second resolve with 202 too). `refused`: not this source's entry, or
 * a pending entry of an invocation that is over; nothing changes.
 */
export type CompletionVerdict = "complete" | "duplicate" | "refused";

/** A completion failing with a TerminalError of `code` (the HTTP status its caller sees). */
export function terminalFailure(message: string, code: number): Completion {
  return { failure: errorToRecord(new TerminalError(message, { errorCode: code })) };
}

/** An awakeable completion's source: the secret of its id, and the completer's trace context when it has one. */
export function awakeableSource(secret: string, traceparent?: string): CompletionSource {
  return { kind: "awakeable", secret, ...(traceparent ? { traceparent } : {}) };
}

/** Judges a completion for `found` (the entry it names, if any, and whether its invocation is still live). */
export function judgeCompletion(found: { entry: Entry; live: boolean } | undefined, source: CompletionSource): CompletionVerdict {
  if (!found || !owns(found.entry, source)) return "refused";
  if (found.entry.done) return "duplicate";
  return found.live ? "complete" : "refused";
}

function owns(entry: Entry, source: CompletionSource): boolean {
  switch (source.kind) {
    case "timer":
      return entry.type === "sleep";
    case "awakeable":
      // An awakeable journaled without a secret (before ids had one) has an id anyone could compute.
      return entry.type === "awakeable" && entry.secret !== null && secretsEqual(entry.secret, source.secret);
    case "result":
      if (entry.type === "call") return source.calleeId === undefined || entry.calleeId === source.calleeId;
      if (entry.type === "attach") return source.calleeId === undefined || entry.name === source.calleeId;
      return false;
    case "cancel":
      return true;
  }
}

/**
 * What cancelling an invocation does to its pending entries (Restate semantics): each
 * pending await fails with CancelledError (`strike`), except calls, whose callees are
 * cancelled instead so that their CancelledError flows back as the call's result.
 */
export function cancellationTargets(pending: readonly Entry[]): { strike: number[]; callees: string[] } {
  const strike: number[] = [];
  const callees: string[] = [];
  for (const entry of pending) {
    if (entry.done) continue;
    if (entry.type === "call") callees.push(entry.calleeId);
    else strike.push(entry.index);
  }
  return { strike, callees };
}
