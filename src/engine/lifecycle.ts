/**
 * The life of the invocations of one owner host (a Durable Object, an owner of the
 * memory runtime), written once: admit (with dedupe by id), queue behind the key's
 * lock, start attempts, store completions and resume (the attempt in memory, or a
 * replay), retry with back-off, pause, cancel, kill, resume, finish and answer
 * callers, retention, purge, restart-as-new. Events come in as method calls;
 * effects go out through the store port and the driver. Both stores run this code;
 * neither restates a rule.
 * Invariants: one exclusive invocation holds the key's lock at a time, in arrival
 * order (key-lock.ts); a workflow's run takes no lock (its fixed id makes it at most
 * once per workflow id); an invocation completes once, and its callers are answered
 * once. Hot path: a fresh invocation's row and journal are the ones just written,
 * and finishing an invocation with an attempt in memory reads nothing back.
 */
import { CancelledError, TerminalError, KILLED_CODE, errorToRecord, type ErrorRecord } from "../../sdk/errors.js";
import { WORKFLOW_RUN_SUFFIX, type TargetKinds } from "./addressing.js";
import { resultOf, receiptOf, Waiters } from "./answers.js";
import { Attempt, type AttemptOutcome } from "./attempt.js";
import { cancellationTargets, judgeCompletion, type CompletionSource, type CompletionVerdict } from "./completions.js";
import { invocationOwner, parseOwnerName } from "./ids.js";
import { STATUS, newRow, targetOf, type InvocationRow } from "./invocation-row.js";
import { JournalHost, type Touched } from "./journal-host.js";
import { KeyLock } from "./key-lock.js";
import { refusal, restartPrefix, whyNot, type ControlResult } from "./lifecycle-control.js";
import type { AttemptEvent, LifecycleDriver } from "./lifecycle-driver.js";
import type { LifecycleStore } from "./lifecycle-store.js";
import type { Delivery, InvocationResult, InvokeRequest, OutputLookup, SendReceipt, Subscriber } from "./messages.js";
import { retentionMs, type HandlerSpec, type Registry } from "./registry.js";
import { afterFailure } from "./retry.js";
import type { Completion, Entry } from "./types.js";

export interface LifecycleConfig {
  registry: Registry;
  kinds: TargetKinds;
  /** The exclusive invocation holding the key's lock, as storage says when the host wakes. @default null */
  lockHolder?: string | null;
  /** Passed to `ctx.request().extraArgs` (the Worker env on Cloudflare). */
  extraArgs?: readonly unknown[];
  /** Hand every completion to a fresh attempt that replays the journal (the test runtime's always-replay mode). */
  alwaysReplay?: boolean;
}

/** What `admit` did: the row (new, or the one with that id), and whether ingress must refuse the repeat. */
export interface Admission {
  row: InvocationRow;
  fresh: boolean;
  /** A workflow's run requested again without an idempotency key: refused (409), as Restate does. */
  refused?: ErrorRecord;
}

const failure = (message: string, code: number): Completion => ({ failure: errorToRecord(new TerminalError(message, { errorCode: code })) });
const cancelled = (): Completion => ({ failure: errorToRecord(new CancelledError()) });

export class Lifecycle {
  readonly #store: LifecycleStore;
  readonly #driver: LifecycleDriver;
  readonly #config: LifecycleConfig;
  readonly #host: JournalHost;
  readonly #lock: KeyLock;
  readonly #waiters = new Waiters();
  readonly #live = new Map<string, Attempt>();
  /** Rows of invocations with an attempt in memory: finishing them needs no read. */
  readonly #rows = new Map<string, InvocationRow>();
  /** Whether an invocation admitted here has callers waiting (absent: ask storage). */
  readonly #hasSubscribers = new Map<string, boolean>();
  /** Live invocations whose next awaited operation must fail with CancelledError (mirrors the stored flag). */
  readonly #cancelRequested = new Set<string>();

  constructor(store: LifecycleStore, driver: LifecycleDriver, config: LifecycleConfig) {
    this.#store = store;
    this.#driver = driver;
    this.#config = config;
    this.#lock = new KeyLock(config.lockHolder ?? null, () => store.nextPending());
    this.#host = new JournalHost(store, {
      now: () => driver.now(),
      cancelRequested: this.#cancelRequested,
      scopeOf: (id) => this.#scopeOf(id),
      afterCommit: (touched) => this.#afterCommit(touched),
      sideEffectStarted: () => driver.executing(true),
      randomBytes: (length) => driver.randomBytes(length),
      log: (level, id, args) => driver.log(level, id, args),
      ...(driver.entryRecorded ? { recorded: (id: string, entry: Entry) => driver.entryRecorded!(id, entry) } : {}),
    });
  }

  /** The exclusive invocation holding the key's lock, if any. */
  get lockHolder(): string | null {
    return this.#lock.holder;
  }

  /** Some attempt in memory is executing code (not only waiting): a crash now needs a replay. */
  get executing(): boolean {
    for (const attempt of this.#live.values()) if (!attempt.waiting) return true;
    return false;
  }

  /** An attempt of `id` is in memory (executing, or waiting on a completion). */
  isLive(id: string): boolean {
    return this.#live.has(id);
  }

  /** Waiting on completions (sleep, call, awakeable, promise) rather than executing code: Restate's "suspended". */
  isWaiting(id: string): boolean {
    const attempt = this.#live.get(id);
    return attempt ? attempt.waiting : this.#store.pendingEntries(id).length > 0;
  }

  // ---- arrivals ----

  /**
   * Stores a new invocation and starts it if it may run now; for a duplicate id (an
   * idempotency key, a redelivery, a workflow id) returns the existing row instead.
   * `journal`: completed entries it starts with (restart-as-new), replayed rather than run.
   */
  admit(req: InvokeRequest, subscriber?: Subscriber, journal: readonly Entry[] = []): Admission {
    const id = req.invocationId;
    const spec = this.#config.registry.handler(req.target.service, req.target.handler);
    const exclusive = spec?.kind === "exclusive";
    const now = this.#driver.now();
    const startAt = req.notBefore ?? (req.delayMs ? now + req.delayMs : undefined);
    const nextAt = startAt !== undefined && startAt > now ? startAt : null;
    const status = nextAt !== null ? STATUS.scheduled : exclusive && this.#lock.holder !== null ? STATUS.pending : STATUS.running;
    const seq = this.#store.insertInvocation(req, exclusive, status, nextAt, now);
    if (seq === undefined) return this.#duplicate(req);
    this.#driver.rowChanged?.(id, false);
    if (subscriber) this.#store.addSubscriber(id, subscriber);
    this.#hasSubscribers.set(id, subscriber !== undefined);
    const row = newRow(seq, req, exclusive, status, nextAt, now);
    if (!spec) {
      this.#finish(row, failure(`service '${req.target.service}' has no handler '${req.target.handler}'`, 404));
      return { row: this.#store.invocation(id)!, fresh: true };
    }
    for (const entry of journal) this.#store.appendEntry(id, entry, now);
    if (status === STATUS.running) {
      if (exclusive) this.#lock.acquire(id);
      this.#start(row, journal);
    } else if (status === STATUS.pending) this.#lock.queued();
    else this.#driver.wakeBy(nextAt!);
    return { row, fresh: true };
  }

  #duplicate(req: InvokeRequest): Admission {
    const row = this.#store.invocation(req.invocationId)!;
    const repeatedRun = !req.idempotencyKey && req.target.handler === "run" && req.invocationId.endsWith(`.${WORKFLOW_RUN_SUFFIX}`);
    if (!repeatedRun || this.#config.kinds.kindOf(req.target.service) !== "workflow") return { row, fresh: false };
    return { row, fresh: false, refused: errorToRecord(new TerminalError("the workflow method was already invoked", { errorCode: 409 })) };
  }

  /** Admits a request from ingress and waits for its result. */
  invoke(req: InvokeRequest): Promise<InvocationResult> {
    const { row, refused } = this.admit(req);
    if (refused) return Promise.resolve({ invocationId: row.id, ok: false, error: refused });
    if (row.status === STATUS.completed) return Promise.resolve(this.result(row));
    return this.#waiters.wait(row.id);
  }

  /** Admits a one-way send from ingress (a repeat is "PreviouslyAccepted"). */
  send(req: InvokeRequest): SendReceipt {
    const { row, fresh } = this.admit(req);
    return receiptOf(row, !fresh);
  }

  /** An invocation's result when it is done; with `wait`, waits for it. */
  async lookup(id: string, wait: boolean): Promise<OutputLookup> {
    const row = this.#store.invocation(id);
    if (!row) return { state: "unknown" };
    if (row.status === STATUS.completed) return { state: "done", result: this.result(row) };
    if (!wait) return { state: "pending", invocationId: id };
    return { state: "done", result: await this.#waiters.wait(id) };
  }

  /** The result of a completed row, as ingress renders it. */
  result(row: InvocationRow): InvocationResult {
    return resultOf(row, this.#config.registry.handler(row.service, row.handler)?.output.contentType);
  }

  /** A delivery from another owner (or this one). */
  deliver(d: Delivery): void {
    switch (d.kind) {
      case "invoke": {
        const { row, fresh } = this.admit(d.request, d.request.replyTo);
        if (!fresh && d.request.replyTo) this.subscribe(row.id, d.request.replyTo);
        return;
      }
      case "complete":
        return void this.complete(d.invocationId, d.index, d.completion, { kind: "result", ...(d.calleeId !== undefined ? { calleeId: d.calleeId } : {}) });
      case "awakeable":
        // A delivery without a secret was stored before ids had one: it proves nothing.
        return void (d.secret !== undefined && this.complete(d.invocationId, d.index, d.completion, { kind: "awakeable", secret: d.secret }));
      case "subscribe":
        return this.subscribe(d.invocationId, d.subscriber);
      case "cancel":
        return void this.cancel(d.invocationId);
    }
  }

  /** Someone waits for an invocation's result: answered now when it is done (or unknown), else when it is. */
  subscribe(id: string, subscriber: Subscriber): void {
    const row = this.#store.invocation(id);
    if (row && row.status !== STATUS.completed) {
      this.#store.addSubscriber(id, subscriber);
      if (this.#hasSubscribers.has(id)) this.#hasSubscribers.set(id, true);
      return;
    }
    this.#reply(subscriber, id, row?.completion ?? failure(`invocation '${id}' not found`, 404));
    this.#driver.deliverSoon();
  }

  #reply(sub: Subscriber, calleeId: string, completion: Completion): void {
    const delivery = { kind: "complete", owner: sub.owner, invocationId: sub.invocationId, index: sub.index, calleeId, completion } as const;
    this.#store.enqueue(sub.owner, delivery, this.#driver.now());
  }

  /**
   * A completion for a journal entry: if the engine finds the entry is `source`'s to
   * complete, store it, then resume the invocation.
   */
  complete(inv: string, idx: number, completion: Completion, source: CompletionSource): CompletionVerdict {
    const verdict = this.#store.transaction(() => {
      const verdict = judgeCompletion(this.#store.entry(inv, idx), source);
      if (verdict === "complete") this.#store.completeEntry(inv, idx, completion);
      // A fired timer goes whatever it found (a refused one would fire again at every wake-up).
      if (verdict === "complete" || source.kind === "timer") this.#store.deleteTimer(inv, idx);
      return verdict;
    });
    if (verdict === "complete") this.#resume(inv, idx, completion);
    return verdict;
  }

  /** Hands a stored completion to the attempt in memory, or replays a running invocation. */
  #resume(inv: string, idx: number, completion: Completion): void {
    const attempt = this.#live.get(inv);
    if (attempt && !attempt.closed && !this.#config.alwaysReplay) return attempt.complete(idx, completion);
    const row = this.#store.invocation(inv);
    if (row?.status === STATUS.running) this.#start(row);
  }

  // ---- time and wake-ups ----

  /** Fires due timers, starts due back-offs and scheduled invocations, ends retention; how many it handled. */
  fireDue(): number {
    const now = this.#driver.now();
    const timers = this.#store.dueTimers(now);
    for (const timer of timers) this.complete(timer.inv, timer.idx, { value: null }, { kind: "timer" });
    const due = this.#store.dueInvocations(now);
    for (const row of due) this.#startDue(row);
    const expired = this.#store.deleteExpired(now);
    for (const id of expired) this.#removed(id);
    return timers.length + due.length + expired.length;
  }

  #startDue(row: InvocationRow): void {
    // A back-off's invocation holds the lock already; a scheduled one may find it taken and queue.
    if (row.exclusive && !this.#lock.acquire(row.id)) {
      this.#setStatus(row.id, STATUS.pending);
      return this.#lock.queued();
    }
    this.#start(row);
  }

  /** Replays invocations stored as running that no attempt in memory drives (after a restart, or `id`'s eviction). */
  recoverOrphans(id?: string): number {
    const running = id === undefined ? this.#store.invocationsWithStatus(STATUS.running) : [this.#store.invocation(id)];
    let started = 0;
    for (const row of running) {
      if (row?.status !== STATUS.running || this.#live.has(row.id)) continue;
      this.#start(row);
      started++;
    }
    return started;
  }

  /** Drops attempts from memory (the process died, or the host let them go): their invocations stay running. */
  evict(id?: string): void {
    for (const [liveId, attempt] of this.#live) {
      if (id !== undefined && liveId !== id) continue;
      attempt.close();
      this.#forget(liveId);
    }
    this.#driver.executing(this.executing);
  }

  /**
   * Backstop for awaits outside ctx.run, checked at each event the host receives: an
   * attempt still executing since an earlier turn needs the recovery wake-up.
   */
  checkExecuting(): void {
    if (this.#live.size > 0 && this.executing) this.#driver.executing(true);
  }

  // ---- operators (admin API, test runtime) ----

  /** Cancels (Restate semantics): pending awaits fail with CancelledError; calls in flight are cancelled downstream. */
  cancel(id: string): ControlResult {
    const row = this.#store.invocation(id);
    if (!row || row.status === STATUS.completed) return whyNot(id, row, "cancel");
    if (row.status === STATUS.pending || row.status === STATUS.scheduled) return this.#finish(row, cancelled()), { ok: true };
    const { strike, callees } = cancellationTargets(this.#store.pendingEntries(id));
    for (const index of strike) this.complete(id, index, cancelled(), { kind: "cancel" });
    for (const calleeId of callees) {
      const owner = invocationOwner(calleeId);
      if (owner) this.#store.enqueue(owner, { kind: "cancel", owner, invocationId: calleeId }, this.#driver.now());
    }
    if (callees.length > 0) this.#driver.deliverSoon();
    if (strike.length === 0 && callees.length === 0) {
      // Nothing awaited right now: the next awaited operation fails.
      this.#store.setCancelRequested(id, true);
      this.#cancelRequested.add(id);
    }
    // A retrying or paused invocation runs now, to meet its cancellation.
    if (row.status === STATUS.backingOff || row.status === STATUS.paused) this.#start(row);
    return { ok: true };
  }

  /** Stops at once, without compensation: callers see 409 "killed". */
  kill(id: string): ControlResult {
    const row = this.#store.invocation(id);
    if (!row || row.status === STATUS.completed) return whyNot(id, row, "kill");
    this.#finish(row, failure("killed", KILLED_CODE));
    return { ok: true };
  }

  /** Parks a running or backing-off invocation until it is resumed (its attempt in memory is dropped). */
  pause(id: string): ControlResult {
    const row = this.#store.invocation(id);
    if (row?.status === STATUS.paused) return { ok: true };
    if (row?.status !== STATUS.running && row?.status !== STATUS.backingOff) return whyNot(id, row, "pause");
    this.#live.get(id)?.close();
    this.#forget(id);
    this.#setStatus(id, STATUS.paused);
    this.#driver.executing(this.executing);
    return { ok: true };
  }

  /** Runs a paused invocation again, or a backing-off one without waiting for the back-off. */
  resume(id: string): ControlResult {
    const row = this.#store.invocation(id);
    if (row?.status !== STATUS.paused && row?.status !== STATUS.backingOff) return whyNot(id, row, "resume", this.#lock.holder);
    this.#start(row);
    return { ok: true };
  }

  /** Forgets a completed invocation: its id (and idempotency key) may be used again. */
  purge(id: string): ControlResult {
    const row = this.#store.invocation(id);
    if (row?.status !== STATUS.completed) return whyNot(id, row, "purge");
    this.#store.deleteInvocation(row.seq, id);
    this.#removed(id);
    return { ok: true };
  }

  /**
   * Runs a completed invocation again under `newId` (owned by `owner`), with the same
   * target, input and headers (not its idempotency key); its first `from` journal
   * entries are copied, so they replay their results instead of running again.
   */
  restartAsNew(id: string, newId: string, owner: string, from: number): ControlResult<{ invocationId: string }> {
    const row = this.#store.invocation(id);
    if (row?.status !== STATUS.completed) return whyNot(id, row, "restart");
    if (this.#config.kinds.kindOf(row.service) === "workflow") return refusal(400, "a workflow cannot be restarted as new: purge it and run its id again");
    const prefix = restartPrefix(this.#store.journal(id), from);
    if (!Array.isArray(prefix)) return prefix;
    const request = { owner, invocationId: newId, target: targetOf(row), input: row.input, headers: row.headers, invokedBy: "restart-as-new" };
    this.admit(request, undefined, prefix);
    return { ok: true, invocationId: newId };
  }

  // ---- transitions ----

  /** Runs an attempt of a stored invocation (first run, retry, or replay); `journal`: known without a read. */
  #start(row: InvocationRow, journal?: readonly Entry[]): void {
    const spec = this.#config.registry.handler(row.service, row.handler);
    if (!spec || row.status === STATUS.completed) return;
    const id = row.id;
    if (row.status !== STATUS.running) this.#setStatus(id, STATUS.running);
    if (row.cancelRequested) this.#cancelRequested.add(id);
    this.#live.get(id)?.close();
    const target = targetOf(row);
    const attempt = new Attempt({
      invocationId: id,
      target,
      input: row.input,
      headers: row.headers,
      ...(row.idempotencyKey ? { idempotencyKey: row.idempotencyKey } : {}),
      journal: journal ?? this.#store.journal(id),
      spec,
      kinds: this.#config.kinds,
      host: this.#host,
      ...(this.#config.extraArgs ? { extraArgs: this.#config.extraArgs } : {}),
    });
    this.#live.set(id, attempt);
    this.#rows.set(id, row.status === STATUS.running ? row : { ...row, status: STATUS.running, nextAt: null });
    const event = { invocationId: id, target, attempt: row.attempts + 1 };
    this.#driver.attemptStarted?.(event);
    void attempt.start().then((outcome) => this.#ended(attempt, spec, outcome, event));
  }

  #ended(attempt: Attempt, spec: HandlerSpec, outcome: AttemptOutcome, event: AttemptEvent): void {
    const id = event.invocationId;
    if (this.#live.get(id) !== attempt) return;
    const row = this.#rows.get(id)!;
    this.#forget(id);
    this.#driver.executing(this.executing);
    this.#driver.attemptEnded?.({ ...event, outcome });
    if (outcome.kind === "success") return this.#finish(row, { value: outcome.value });
    if (outcome.kind === "failure") return this.#finish(row, { failure: outcome.error });
    this.#retry(row, spec, outcome);
  }

  #retry(row: InvocationRow, spec: HandlerSpec, outcome: Extract<AttemptOutcome, { kind: "retry" }>): void {
    const { id } = row;
    const failures = row.attempts + 1;
    const next = afterFailure(spec.retry, failures, outcome);
    const now = this.#driver.now();
    const { message } = outcome.error;
    if (next.next === "kill") return this.#finish(row, { failure: { ...outcome.error, name: "TerminalError", message: `${message} (${next.why})` } });
    if (next.next === "pause") {
      this.#driver.log("warn", id, [`${next.why}: ${message}`]);
      this.#store.recordRetry(id, STATUS.paused, outcome.error, null, now);
    } else {
      this.#driver.log("warn", id, [`attempt ${failures} failed, will retry in ${next.delayMs} ms: ${message}`]);
      this.#store.transaction(() => {
        if (outcome.runIndex !== undefined) this.#store.addRunFailure(id, outcome.runIndex, now);
        this.#store.recordRetry(id, STATUS.backingOff, outcome.error, now + next.delayMs, now);
      });
      this.#driver.wakeBy(now + next.delayMs);
    }
    this.#driver.rowChanged?.(id, false);
  }

  /** Completes an invocation: stores the result, answers waiters and callers, releases the lock. */
  #finish(row: InvocationRow, completion: Completion): void {
    const { id } = row;
    const now = this.#driver.now();
    const expiresAt = now + retentionMs(this.#config.registry.handler(row.service, row.handler), row.idempotencyKey !== null);
    // One synchronous turn: the result and the replies to callers commit together.
    this.#store.complete(id, completion, now, expiresAt);
    this.#driver.rowChanged?.(id, false);
    const subscribers = this.#hasSubscribers.get(id) === false ? [] : this.#store.takeSubscribers(id);
    this.#hasSubscribers.delete(id);
    for (const sub of subscribers) this.#reply(sub, id, completion);
    this.#live.get(id)?.close();
    this.#forget(id);
    this.#driver.executing(this.executing);
    if (this.#waiters.has(id)) this.#waiters.answer(id, this.result({ ...row, status: STATUS.completed, completion, expiresAt }));
    if (row.status === STATUS.pending) this.#lock.left();
    else if (row.exclusive) this.#releaseLock(id);
    if (subscribers.length > 0) this.#driver.deliverSoon();
    this.#driver.wakeBy(expiresAt);
  }

  #releaseLock(id: string): void {
    const next = this.#lock.release(id);
    const row = next === undefined ? undefined : this.#store.invocation(next);
    if (row) this.#start(row);
  }

  #setStatus(id: string, status: InvocationRow["status"]): void {
    this.#store.setStatus(id, status, this.#driver.now());
    this.#driver.rowChanged?.(id, false);
  }

  /** No attempt of `id` in memory any more. */
  #forget(id: string): void {
    this.#live.delete(id);
    this.#rows.delete(id);
    this.#cancelRequested.delete(id);
  }

  /** An invocation was deleted (retention ended, or an operator purged it). */
  #removed(id: string): void {
    this.#driver.rowChanged?.(id, true);
    // A workflow's instance ends with its run: its state and promises go too, and the id may run again.
    if (!id.endsWith(`.${WORKFLOW_RUN_SUFFIX}`)) return;
    const owner = parseOwnerName(invocationOwner(id) ?? "");
    if (owner?.kind === "w") this.#store.clearWorkflowData(owner.key);
  }

  /** Which workflow id's state and promises an invocation sees ("" outside workflows). */
  #scopeOf(id: string): string {
    const row = this.#rows.get(id) ?? this.#store.invocation(id);
    return row?.key != null && this.#config.kinds.kindOf(row.service) === "workflow" ? row.key : "";
  }

  #afterCommit(touched: Touched): void {
    if (touched.timerAt !== undefined) this.#driver.wakeBy(touched.timerAt);
    if (touched.outbox) this.#driver.deliverSoon();
    for (const p of touched.promises) queueMicrotask(() => this.#resume(p.inv, p.idx, p.completion));
  }
}
