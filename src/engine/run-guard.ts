/**
 * Refuses context calls made inside a `ctx.run` closure, as Restate's SDK does
 * ("You cannot do ... calls from within a side effect"). A run is one journaled
 * step: on replay its closure does not execute, so an operation made inside it
 * would be missing from the replay, or journaled in the middle of the step.
 *
 * What is detected: calls made while the closure's synchronous part executes
 * (up to its first `await`), including nested `ctx.run`, `ctx.rand` and
 * `ctx.date`. Calls made after an `await` inside the closure cannot be told apart
 * from the handler's own concurrent calls without AsyncLocalStorage, which
 * workerd offers only with nodejs_compat: those are not detected. Pure.
 */
import { TerminalError } from "../../sdk/errors.js";
import type { EntryType } from "./types.js";

/** How the handler called what records an entry of each type. */
const CALLS: Record<EntryType, string> = {
  run: "ctx.run()",
  sleep: "ctx.sleep()",
  getState: "ctx.get()",
  setState: "ctx.set()",
  clearState: "ctx.clear()",
  clearAllState: "ctx.clearAll()",
  getStateKeys: "ctx.stateKeys()",
  call: "a call through a client (or ctx.genericCall())",
  send: "a send through a send client (or ctx.genericSend())",
  awakeable: "ctx.awakeable()",
  completeAwakeable: "ctx.resolveAwakeable() / ctx.rejectAwakeable()",
  getPromise: "awaiting ctx.promise()",
  peekPromise: "ctx.promise().peek()",
  completePromise: "ctx.promise().resolve() / reject()",
  attach: "ctx.invocation().attach()",
  cancel: "ctx.invocation().cancel()",
  combinator: "a RestatePromise combinator (or orTimeout())",
};

export class RunGuard {
  /** The name of the run whose closure is executing synchronously, if any. */
  #running: string | undefined;

  /** Executes the synchronous part of the closure of `ctx.run(name)`. */
  inside<T>(name: string, fn: () => T): T {
    const outer = this.#running;
    this.#running = name;
    try {
      return fn();
    } finally {
      this.#running = outer;
    }
  }

  /** Throws when a run closure is executing: `call` describes what the handler called. */
  check(call: string): void {
    if (this.#running === undefined) return;
    const run = this.#running ? `ctx.run("${this.#running}")` : "ctx.run()";
    throw new TerminalError(
      `${call} was called inside the closure of ${run}. A run is one journaled step whose closure does not execute ` +
        `on replay, so context calls inside it cannot be journaled. Make the call outside the closure (before or after the ctx.run).`,
    );
  }

  /** `check` for the context call that records an entry of `type` (`date.now` is a run named so). */
  checkEntry(type: EntryType, name: string): void {
    if (this.#running !== undefined) this.check(type === "run" && name === "date.now" ? "ctx.date.now()" : CALLS[type]);
  }
}
