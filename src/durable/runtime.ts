/**
 * The life of invocations inside one Durable Object: accept, queue behind the
 * exclusive lock, run attempts, retry with back-off, finish and notify. It
 * executes what the engine decides; it never interprets handler code.
 * Invariant: one exclusive invocation holds the lock at a time, in arrival order.
 */
import { errorToRecord, TerminalError, KILLED_CODE } from "../../sdk/errors.js";
import { Attempt, type AttemptOutcome } from "../engine/attempt.js";
import { backoffMs } from "../engine/retry.js";
import type { Registry, HandlerSpec } from "../engine/registry.js";
import type { TargetKinds } from "../engine/addressing.js";
import { WORKFLOW_RUN_SUFFIX } from "../engine/addressing.js";
import type { Completion, Entry } from "../engine/types.js";
import { judgeCompletion, type CompletionSource, type CompletionVerdict } from "../engine/completions.js";
import { StoreHost, type EffectSink, type Touched } from "./effects.js";
import { REDELIVERY_MS } from "./alarm.js";
import type { InvocationResult, InvokeRequest, OutputLookup, SendReceipt, Subscriber } from "./protocol.js";
import { STATUS } from "../engine/invocation-row.js";
import type { Store } from "./store.js";
import { newRow, type InvocationRow } from "../engine/invocation-row.js";
import { cancelInvocation } from "./cancellation.js";
import { oversizeInvocation } from "../engine/limits.js";
import { storeCompletion } from "./completion-store.js";

export interface RuntimeHooks {
  now(): number;
  /** Work is due at `at`: the alarm must fire by then. */
  alarmBy(at: number): void;
  /** Whether attempts are executing: arms or disarms the recovery wake-up. */
  recovery(executing: boolean): void;
  /** The outbox has new rows: deliver them. */
  flushOutbox(): void;
}

type Waiter = (result: InvocationResult) => void;

export class Runtime implements EffectSink {
  readonly live = new Map<string, Attempt>();
  readonly cancelRequested = new Set<string>();
  readonly #waiters = new Map<string, Waiter[]>();
  /** Rows of invocations with an attempt in memory: finishing them needs no read. */
  readonly #rows = new Map<string, InvocationRow>();
  /** Whether an invocation admitted by this instance has callers waiting for its result (absent: ask storage). */
  readonly #hasSubscribers = new Map<string, boolean>();
  /** How many invocations wait for the lock; undefined when not known (ask storage). */
  #queued: number | undefined;
  readonly #host: StoreHost;
  /** The exclusive invocation holding the key's lock (read from storage when the instance wakes). */
  #lock: string | null = null;

  constructor(
    readonly store: Store,
    readonly registry: Registry,
    readonly kinds: TargetKinds,
    readonly hooks: RuntimeHooks,
    readonly extraArgs: readonly unknown[] = [],
  ) {
    this.#host = new StoreHost(store, this);
  }

  /** What storage says holds the exclusive lock (read when the instance wakes). */
  lockHeldBy(id: string | null): void {
    this.#lock = id;
  }

  /** The exclusive invocation holding the key's lock, if any. */
  get lockHolder(): string | null {
    return this.#lock;
  }

  /** Some attempt in memory is executing code (not only waiting): a crash now needs a replay. */
  get executing(): boolean {
    for (const attempt of this.live.values()) if (!attempt.waiting) return true;
    return false;
  }

  /** Someone waits for this invocation's result (a caller, an attach from a handler). */
  subscribe(id: string, subscriber: Subscriber): void {
    this.store.addSubscriber(id, subscriber);
    if (this.#hasSubscribers.has(id)) this.#hasSubscribers.set(id, true);
  }

  /** Waiting on completions (sleep, call, awakeable, promise) rather than executing code. */
  isWaiting(id: string): boolean {
    const attempt = this.live.get(id);
    if (attempt) return attempt.waiting;
    return this.store.pendingEntries(id).length > 0;
  }

  now(): number {
    return this.hooks.now();
  }

  scopeOf(id: string): string {
    const row = this.#rows.get(id) ?? this.store.invocation(id);
    return row?.key != null && this.kinds.kindOf(row.service) === "workflow" ? row.key : "";
  }

  afterCommit(touched: Touched): void {
    if (touched.timerAt !== undefined) this.hooks.alarmBy(touched.timerAt);
    if (touched.outbox) this.deliverSoon();
    for (const p of touched.promises) queueMicrotask(() => this.resume(p.inv, p.idx, p.completion));
  }

  // ---- accepting ----

  /**
   * Stores a new invocation and starts it if it may run now; for a duplicate id
   * (idempotency key, redelivery) returns the existing row instead. `journal`: completed
   * entries it starts with (an admin's restart-as-new), replayed rather than run.
   */
  admit(req: InvokeRequest, subscriber?: Subscriber, journal: readonly Entry[] = []): { row: InvocationRow; fresh: boolean } {
    const spec = this.registry.handler(req.target.service, req.target.handler);
    // A workflow's run needs no lock: its fixed id makes it at most once per workflow id, and
    // the workflow's other handlers are shared. (One lock would serialize a whole workflow shard.)
    const exclusive = spec?.kind === "exclusive";
    const now = this.now();
    const startAt = req.notBefore ?? (req.delayMs ? now + req.delayMs : undefined);
    const scheduled = startAt !== undefined && startAt > now;
    // An input that can never be stored is answered at once: the row keeps neither input nor headers.
    const tooLarge = oversizeInvocation(req);
    const status = tooLarge ? STATUS.running : scheduled ? STATUS.scheduled : exclusive && this.#lock ? STATUS.pending : STATUS.running;
    const stored = tooLarge ? { ...req, input: new Uint8Array(0), headers: {} } : req;
    const seq = this.store.insertInvocation(stored, exclusive, status, scheduled && !tooLarge ? startAt : null, now);
    if (seq === undefined) return { row: this.store.invocation(req.invocationId)!, fresh: false };
    if (subscriber) this.store.addSubscriber(req.invocationId, subscriber);
    this.#hasSubscribers.set(req.invocationId, subscriber !== undefined);
    if (!spec || tooLarge) {
      const failure = tooLarge ? errorToRecord(tooLarge) : { name: "TerminalError", message: `service '${req.target.service}' has no handler '${req.target.handler}'`, code: 404 };
      this.finish(req.invocationId, { failure });
      return { row: this.store.invocation(req.invocationId)!, fresh: true };
    }
    for (const entry of journal) this.store.appendEntry(req.invocationId, entry, now);
    const row = newRow(seq, req, exclusive, status, scheduled ? startAt : null, now);
    if (status === STATUS.pending && this.#queued !== undefined) this.#queued++;
    if (status === STATUS.running) {
      if (exclusive) this.#lock = req.invocationId;
      // A fresh invocation: its row is the one just written and its journal the one just given.
      this.start(req.invocationId, { row, journal });
    } else if (scheduled) {
      this.hooks.alarmBy(startAt);
    }
    return { row, fresh: true };
  }

  /** Whether a repeated request for an existing workflow run must be refused (409). */
  isRepeatedWorkflowRun(req: InvokeRequest): boolean {
    return req.invocationId.endsWith(`.${WORKFLOW_RUN_SUFFIX}`) && req.target.handler === "run" && this.registry.service(req.target.service)?.kind === "workflow";
  }

  wait(id: string): Promise<InvocationResult> {
    return new Promise((resolve) => {
      const list = this.#waiters.get(id) ?? [];
      list.push(resolve);
      this.#waiters.set(id, list);
    });
  }

  resultOf(row: InvocationRow): InvocationResult {
    const completion = row.completion!;
    const expires = row.idempotencyKey && row.expiresAt ? { idempotencyExpiresAt: row.expiresAt } : {};
    if ("failure" in completion) return { invocationId: row.id, ok: false, error: completion.failure, ...expires };
    const contentType = this.registry.handler(row.service, row.handler)?.output.contentType;
    return { invocationId: row.id, ok: true, value: completion.value ?? new Uint8Array(0), ...(contentType ? { contentType } : {}), ...expires };
  }

  async lookup(id: string, wait: boolean): Promise<OutputLookup> {
    const row = this.store.invocation(id);
    if (!row) return { state: "unknown" };
    if (row.status === STATUS.completed) return { state: "done", result: this.resultOf(row) };
    if (!wait) return { state: "pending", invocationId: id };
    return { state: "done", result: await this.wait(id) };
  }

  receipt(row: InvocationRow, previously: boolean): SendReceipt {
    return {
      invocationId: row.id,
      status: previously ? "PreviouslyAccepted" : "Accepted",
      ...(row.status === STATUS.scheduled && row.nextAt ? { executionTime: new Date(row.nextAt).toISOString() } : {}),
    };
  }

  // ---- running ----

  /** Runs an attempt of a stored invocation (first run, retry, or replay after a restart). */
  start(id: string, known?: { row: InvocationRow; journal: readonly Entry[] }): void {
    const row = known?.row ?? this.store.invocation(id);
    const spec = row && this.registry.handler(row.service, row.handler);
    if (!row || !spec || row.status === STATUS.completed) return;
    if (row.status !== STATUS.running) this.store.setStatus(id, STATUS.running, this.now());
    if (row.cancelRequested) this.cancelRequested.add(id);
    this.live.get(id)?.close();
    const attempt = new Attempt({
      invocationId: id,
      target: { service: row.service, handler: row.handler, ...(row.key !== null ? { key: row.key } : {}) },
      input: row.input,
      headers: row.headers,
      ...(row.idempotencyKey ? { idempotencyKey: row.idempotencyKey } : {}),
      journal: known?.journal ?? this.store.journal(id),
      spec,
      kinds: this.kinds,
      host: this.#host,
      extraArgs: this.extraArgs,
    });
    this.live.set(id, attempt);
    this.#rows.set(id, { ...row, status: STATUS.running });
    void attempt.start().then((outcome) => this.#onOutcome(id, attempt, spec, outcome));
  }

  /** A ctx.run closure started I/O: from now on a crash must replay the invocation. */
  sideEffectStarted(): void {
    this.hooks.recovery(true);
  }

  /**
   * Backstop for awaits outside ctx.run, checked at each event the object
   * receives: an attempt still executing since an earlier turn arms recovery.
   * (A short invocation ends within its turn and never touches the alarm.)
   */
  checkExecuting(): void {
    if (this.live.size > 0 && this.executing) this.hooks.recovery(true);
  }

  /** Outbox rows exist: deliver now, and make sure a crash before delivery is retried. */
  deliverSoon(): void {
    this.hooks.alarmBy(this.now() + REDELIVERY_MS);
    this.hooks.flushOutbox();
  }

  /**
   * A completion for a journal entry arrived: if the engine finds the entry is `source`'s
   * to complete, persist it, then resume the invocation.
   */
  complete(inv: string, idx: number, completion: Completion, source: CompletionSource): CompletionVerdict {
    const verdict = this.store.transaction(() => {
      const verdict = judgeCompletion(this.store.entry(inv, idx), source);
      if (verdict === "complete") this.store.completeEntry(inv, idx, completion);
      // A fired timer goes whatever it found (a refused one would fire again at every alarm).
      if (verdict === "complete" || source.kind === "timer") this.store.deleteTimer(inv, idx);
      return verdict;
    });
    if (verdict === "complete") this.resume(inv, idx, completion);
    return verdict;
  }

  /** Hands a persisted completion to the live attempt, or replays the invocation. */
  resume(inv: string, idx: number, completion: Completion): void {
    const attempt = this.live.get(inv);
    if (attempt && !attempt.closed) return attempt.complete(idx, completion);
    if (this.store.invocation(inv)?.status === STATUS.running) this.start(inv);
  }

  #onOutcome(id: string, attempt: Attempt, spec: HandlerSpec, outcome: AttemptOutcome): void {
    if (this.live.get(id) !== attempt) return;
    this.live.delete(id);
    const row = this.#rows.get(id);
    this.#rows.delete(id);
    this.hooks.recovery(this.executing);
    if (outcome.kind === "success") return this.finish(id, { value: outcome.value }, row);
    if (outcome.kind === "failure") return this.finish(id, { failure: outcome.error }, row);
    this.#retry(id, spec, outcome);
  }

  #retry(id: string, spec: HandlerSpec, outcome: Extract<AttemptOutcome, { kind: "retry" }>): void {
    const row = this.store.invocation(id);
    if (!row) return;
    const failures = row.attempts + 1;
    const failure = outcome.error;
    if (outcome.pause) {
      this.#host.log("warn", id, [`paused by PauseError in attempt ${failures}: ${outcome.error.message}`]);
      return this.store.recordRetry(id, STATUS.paused, failure, null, this.now());
    }
    this.#host.log("warn", id, [`attempt ${failures} failed, will retry: ${outcome.error.message}`]);
    if (failures >= spec.retry.maxAttempts) {
      if (spec.retry.onMaxAttempts === "kill") {
        return this.finish(id, { failure: { ...outcome.error, name: "TerminalError", message: `${outcome.error.message} (gave up after ${failures} attempts)` } });
      }
      return this.store.recordRetry(id, STATUS.paused, failure, null, this.now());
    }
    const delay = outcome.retryAfterMs ?? backoffMs(spec.retry, failures);
    this.store.transaction(() => {
      if (outcome.runIndex !== undefined) this.store.addRunFailure(id, outcome.runIndex, this.now());
      this.store.recordRetry(id, STATUS.backingOff, failure, this.now() + delay, this.now());
    });
    this.hooks.alarmBy(this.now() + delay);
  }

  /** Completes an invocation: stores the result, answers waiters and callers, releases the lock. */
  finish(id: string, completion: Completion, known?: InvocationRow): void {
    const row = known ?? this.store.invocation(id);
    if (!row || row.status === STATUS.completed) return;
    const spec = this.registry.handler(row.service, row.handler);
    const now = this.now();
    const retention = retentionOf(spec, row);
    const replyToCallers = this.#hasSubscribers.get(id) !== false;
    this.#hasSubscribers.delete(id);
    const stored = storeCompletion(this.store, (message) => this.#host.log("error", id, [message]), id, completion, now, now + retention, replyToCallers);
    completion = stored.completion;
    const replies = stored.replies;
    this.live.get(id)?.close();
    this.live.delete(id);
    this.#rows.delete(id);
    this.cancelRequested.delete(id);
    if (row.status === STATUS.pending) this.#queued = undefined;
    this.hooks.recovery(this.executing);
    const result = this.resultOf({ ...row, completion, expiresAt: now + retention });
    for (const waiter of this.#waiters.get(id) ?? []) waiter(result);
    this.#waiters.delete(id);
    if (this.#lock === id || row.exclusive) this.#releaseLock(id);
    if (replies > 0) this.deliverSoon();
    this.hooks.alarmBy(now + retention);
  }

  #releaseLock(id: string): void {
    if (this.#lock !== id) return;
    this.#lock = null;
    if (this.#queued === 0) return;
    const next = this.store.nextPending();
    if (!next) return void (this.#queued = 0);
    if (this.#queued !== undefined) this.#queued--;
    this.#lock = next;
    this.start(next);
  }

  /** Starts due retries and scheduled invocations. */
  startDue(): void {
    for (const row of this.store.dueInvocations(this.now())) {
      if (row.status === STATUS.scheduled && row.exclusive && this.#lock && this.#lock !== row.id) {
        this.store.setStatus(row.id, STATUS.pending, this.now());
        if (this.#queued !== undefined) this.#queued++;
        continue;
      }
      if (row.exclusive) this.#lock = row.id;
      this.start(row.id);
    }
  }

  /** Replays invocations stored as running that no attempt in memory is driving (after a restart). */
  recoverOrphans(): void {
    for (const row of this.store.invocationsWithStatus(STATUS.running)) {
      if (!this.live.has(row.id)) this.start(row.id);
    }
  }

  // ---- cancellation ----

  /** Cancels: pending awaits fail with CancelledError; calls in flight are cancelled downstream. */
  cancel(id: string): void {
    cancelInvocation(this, id);
  }

  /** Marks an invocation so its next awaited operation fails with CancelledError. */
  requestCancel(id: string): void {
    this.store.setCancelRequested(id, true);
    this.cancelRequested.add(id);
  }

  /** Stops at once, without compensation: the caller sees 409 "killed". */
  kill(id: string): void {
    this.finish(id, { failure: errorToRecord(new TerminalError("killed", { errorCode: KILLED_CODE })) });
  }
}

function retentionOf(spec: HandlerSpec | undefined, row: InvocationRow): number {
  if (!spec) return 60_000;
  if (spec.kind === "workflow") return spec.workflowRetentionMs;
  return row.idempotencyKey ? Math.max(spec.idempotencyRetentionMs, spec.journalRetentionMs) : spec.journalRetentionMs;
}

