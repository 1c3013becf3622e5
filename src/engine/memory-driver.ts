/**
 * The machinery behind MemoryRuntime: starts attempts, retries them with
 * back-off, holds each owner's exclusive lock, stores completions and resumes
 * invocations (the live attempt, or a replay), and delivers outbox effects
 * between MemoryHosts. Mirrors `src/durable/runtime.ts` and `object.ts`.
 * Pure: the clock is a FakeClock; nothing here waits on real time.
 */
import { CancelledError, errorToRecord, type ErrorRecord } from "../../sdk/errors.js";
import { addressOf, idempotentInvocationId, type TargetKinds } from "./addressing.js";
import { derivedSuffix, invocationOwner, makeInvocationId, parseAwakeableId } from "./ids.js";
import { Attempt, type AttemptOutcome } from "./invocation.js";
import { MemoryHost, type FakeClock, type LogLine, type OutboxItem } from "./memory-host.js";
import { MemoryInvocations, type Invocation } from "./memory-invocations.js";
import type { HandlerSpec, Registry } from "./registry.js";
import { backoffMs } from "./retry.js";
import { cancellationTargets, judgeCompletion, type CompletionSource, type CompletionVerdict } from "./completions.js";
import type { Completion, Entry, RandomSource, Target } from "./types.js";

export interface DriverOptions {
  alwaysReplay: boolean;
  extraArgs?: readonly unknown[];
  onLog?: (line: LogLine) => void;
  random?: RandomSource;
}

export class MemoryDriver {
  readonly hosts = new Map<string, MemoryHost>();
  readonly invocations = new MemoryInvocations();
  readonly live = new Map<string, Attempt>();
  readonly crashWhen: ((invocationId: string, entry: Entry) => boolean)[] = [];
  /** Bumped by anything that may create more work; `settle()` stops when it stays still. */
  activity = 0;
  #ingressCount = 0;

  constructor(
    readonly registry: Registry,
    readonly kinds: TargetKinds,
    readonly clock: FakeClock,
    readonly options: DriverOptions,
  ) {}

  ingressAddress(target: Target, idempotencyKey?: string): { owner: string; invocationId: string } {
    if (idempotencyKey !== undefined) return idempotentInvocationId(this.kinds, target, idempotencyKey);
    const seed = `memory-ingress#${++this.#ingressCount}`;
    const { owner, fixedSuffix } = addressOf(this.kinds, target, seed);
    return { owner, invocationId: makeInvocationId(owner, fixedSuffix ?? derivedSuffix(seed, 0)) };
  }

  accept(req: { invocationId: string; owner: string; target: Target; input: Uint8Array; headers: Record<string, string>; idempotencyKey?: string; notBefore?: number; replyTo?: { invocationId: string; index: number } }): void {
    const spec = this.registry.handler(req.target.service, req.target.handler);
    const inv = this.invocations.add({ ...req, spec, now: this.clock.now() });
    this.activity++;
    if (!spec) return this.finish(inv, { failure: { name: "TerminalError", message: `service '${req.target.service}' has no handler '${req.target.handler}'`, code: 404 } });
    if (inv.status === "scheduled") return;
    if (!inv.exclusive || this.invocations.takeLock(inv)) return this.start(inv);
    inv.status = "pending";
  }

  start(inv: Invocation): void {
    if (!inv.spec || inv.status === "completed") return;
    inv.status = "running";
    delete inv.nextAt;
    this.live.get(inv.id)?.close();
    const host = this.hostOf(inv.owner);
    const attempt = new Attempt({
      invocationId: inv.id,
      target: inv.target,
      input: inv.input,
      headers: inv.headers,
      ...(inv.idempotencyKey ? { idempotencyKey: inv.idempotencyKey } : {}),
      journal: host.journal(inv.id),
      spec: inv.spec,
      kinds: this.kinds,
      host,
      ...(this.options.extraArgs ? { extraArgs: this.options.extraArgs } : {}),
    });
    this.live.set(inv.id, attempt);
    inv.attempts++;
    this.activity++;
    void attempt.start().then((outcome) => this.onOutcome(inv, attempt, outcome));
  }

  onOutcome(inv: Invocation, attempt: Attempt, outcome: AttemptOutcome): void {
    if (this.live.get(inv.id) !== attempt) return;
    this.live.delete(inv.id);
    this.activity++;
    if (outcome.kind === "success") return this.finish(inv, { value: outcome.value });
    if (outcome.kind === "failure") return this.finish(inv, { failure: outcome.error });
    this.retry(inv, outcome);
  }

  retry(inv: Invocation, outcome: Extract<AttemptOutcome, { kind: "retry" }>): void {
    const policy = (inv.spec as HandlerSpec).retry;
    inv.failures++;
    inv.lastError = outcome.error;
    if (outcome.pause) {
      this.hostOf(inv.owner).log("warn", inv.id, [`paused by PauseError in attempt ${inv.failures}: ${outcome.error.message}`]);
      inv.status = "paused";
      return;
    }
    this.hostOf(inv.owner).log("warn", inv.id, [`attempt ${inv.failures} failed, will retry: ${outcome.error.message}`]);
    if (inv.failures >= policy.maxAttempts) {
      if (policy.onMaxAttempts === "kill") {
        return this.finish(inv, { failure: { ...outcome.error, name: "TerminalError", message: `${outcome.error.message} (gave up after ${inv.failures} attempts)` } });
      }
      inv.status = "paused";
      return;
    }
    if (outcome.runIndex !== undefined) this.hostOf(inv.owner).addRunFailure(inv.id, outcome.runIndex);
    inv.status = "backing-off";
    inv.nextAt = this.clock.now() + (outcome.retryAfterMs ?? backoffMs(policy, inv.failures));
  }

  finish(inv: Invocation, completion: Completion): void {
    if (inv.status === "completed") return;
    inv.status = "completed";
    inv.completion = completion;
    delete inv.nextAt;
    this.drop(inv.id);
    this.activity++;
    for (const sub of inv.subscribers.splice(0)) this.complete(sub.invocationId, sub.index, completion, { kind: "result", calleeId: inv.id });
    const next = inv.exclusive ? this.invocations.releaseLock(inv) : undefined;
    if (next) this.start(next);
  }

  drop(invocationId: string): void {
    this.live.get(invocationId)?.close();
    this.live.delete(invocationId);
  }

  replay(invocationId: string): void {
    const inv = this.invocations.get(invocationId);
    if (inv?.status === "running" && !this.live.has(invocationId)) this.start(inv);
  }

  /**
   * A completion for a journal entry: if the engine finds the entry is `source`'s to
   * complete, store it, then resume the invocation (live, or by replay).
   */
  complete(invocationId: string, index: number, completion: Completion, source: CompletionSource): CompletionVerdict {
    const inv = this.invocations.get(invocationId);
    const host = inv && this.hostOf(inv.owner);
    const entry = host?.entry(invocationId, index);
    const verdict = judgeCompletion(entry && { entry, live: inv!.status !== "completed" }, source);
    // A fired timer goes whatever it found (a refused one would stay due forever).
    if (source.kind === "timer") host?.removeTimer(invocationId, index);
    if (verdict !== "complete") return verdict;
    host!.completeEntry(invocationId, index, completion);
    this.resume(inv!, index, completion);
    return verdict;
  }

  resume(inv: Invocation, index: number, completion: Completion): void {
    this.activity++;
    const attempt = this.live.get(inv.id);
    if (attempt && !attempt.closed && !this.options.alwaysReplay) return attempt.complete(index, completion);
    if (inv.status !== "running") return;
    this.drop(inv.id);
    this.start(inv);
  }

  onRecorded(invocationId: string, entry: Entry): void {
    this.activity++;
    const crash = this.crashWhen.findIndex((p) => p(invocationId, entry));
    if (crash >= 0) this.crashWhen.splice(crash, 1);
    if (!this.options.alwaysReplay && crash < 0) return;
    // The engine is mid-call: drop the attempt now (it records nothing more), replay once the call returns.
    this.drop(invocationId);
    queueMicrotask(() => this.replay(invocationId));
  }

  cancel(invocationId: string): void {
    const inv = this.invocations.get(invocationId);
    if (!inv || inv.status === "completed") return;
    const cancelled: Completion = { failure: errorToRecord(new CancelledError()) };
    if (inv.status === "pending" || inv.status === "scheduled") return this.finish(inv, cancelled);
    const host = this.hostOf(inv.owner);
    const { strike, callees } = cancellationTargets(host.pendingEntries(invocationId));
    for (const index of strike) this.complete(invocationId, index, cancelled, { kind: "cancel" });
    for (const calleeId of callees) this.cancel(calleeId);
    if (strike.length === 0 && callees.length === 0) host.cancelRequested.add(invocationId);
    if (inv.status === "backing-off" || inv.status === "paused") this.start(inv);
  }

  // ---- delivery and due work ----

  deliverOutboxes(): void {
    for (const host of [...this.hosts.values()]) for (const item of host.takeOutbox()) this.deliver(item);
  }

  deliver({ from, effect }: OutboxItem): void {
    this.activity++;
    switch (effect.type) {
      case "call": {
        const { call } = effect;
        const existing = this.invocations.get(call.invocationId);
        if (!existing) return this.accept({ ...call, owner: invocationOwner(call.invocationId)! });
        if (call.replyTo) this.subscribe(existing.id, call.replyTo);
        return;
      }
      case "completeAwakeable": {
        const address = parseAwakeableId(effect.awakeableId);
        if (!("error" in address)) this.complete(address.invocationId, address.index, effect.completion, { kind: "awakeable", secret: address.secret });
        return;
      }
      case "attach":
        return this.subscribe(effect.invocationId, { invocationId: from, index: effect.index });
      case "cancel":
        return this.cancel(effect.invocationId);
    }
  }

  subscribe(invocationId: string, subscriber: { invocationId: string; index: number }): void {
    const inv = this.invocations.get(invocationId);
    if (inv && !inv.completion) return void inv.subscribers.push(subscriber);
    const missing: ErrorRecord = { name: "TerminalError", message: `invocation '${invocationId}' not found`, code: 404 };
    this.complete(subscriber.invocationId, subscriber.index, inv?.completion ?? { failure: missing }, { kind: "result", calleeId: invocationId });
  }

  fireDue(): void {
    const now = this.clock.now();
    for (const host of [...this.hosts.values()]) {
      for (const timer of host.dueTimers(now)) this.complete(timer.invocationId, timer.index, { value: null }, { kind: "timer" });
    }
    for (const inv of this.invocations.due(now)) {
      if (inv.status === "scheduled" && inv.exclusive && !this.invocations.takeLock(inv)) {
        inv.status = "pending";
        delete inv.nextAt;
        continue;
      }
      this.start(inv);
    }
  }

  nextDue(): number | undefined {
    const times = [...this.hosts.values()].flatMap((h) => h.timers.map((t) => t.at));
    for (const inv of this.invocations.all()) if (inv.nextAt !== undefined) times.push(inv.nextAt);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  hostOf(owner: string): MemoryHost {
    let host = this.hosts.get(owner);
    if (!host) {
      const events = {
        recorded: (inv: string, entry: Entry) => this.onRecorded(inv, entry),
        woke: (inv: string, index: number, completion: Completion) => {
          const target = this.invocations.get(inv);
          if (target) queueMicrotask(() => this.resume(target, index, completion));
        },
        ...(this.options.onLog ? { log: this.options.onLog } : {}),
      };
      host = new MemoryHost(owner, this.clock, events, this.options.random);
      this.hosts.set(owner, host);
    }
    return host;
  }
}
