/**
 * The life of the invocations of one owner host (a Durable Object, an owner of the
 * memory runtime), written once: admit (with dedupe by id), queue behind the key's
 * lock, start attempts, store completions and resume (the attempt in memory, or a
 * replay), retry with back-off, finish and answer callers, retention, recovery after
 * a restart; how an invocation enters is admission.ts, what follows a failed attempt
 * failed-attempt.ts, the operators' actions lifecycle-control.ts. Events come in as
 * method calls; effects go out through the store port and the driver. Both stores
 * run this code; neither restates a rule.
 * Invariants: one exclusive invocation holds the key's lock at a time, in arrival
 * order (key-lock.ts); a workflow's run takes no lock (its fixed id makes it at most
 * once per workflow id); an invocation completes once, and its callers are answered
 * once. Hot path: a fresh invocation's row and journal are the ones just written,
 * and finishing an invocation with an attempt in memory reads nothing back.
 */
import { isWorkflowRunId, stateScope, type TargetKinds } from "./addressing.js";
import { admit, sameRequest, type Admission, type AdmissionHost, type AdmissionSteps, type LookupExpectation } from "./admission.js";
import { Callers, receiptOf, resultOf, type CompletionWait } from "./callers.js";
import type { AttemptOutcome } from "./attempt.js";
import { awakeableSource, judgeCompletion, type CompletionSource, type CompletionVerdict } from "./completions.js";
import { invocationOwner, parseOwnerName } from "./ids.js";
import { STATUS, targetOf, type InvocationRow, type InvocationStatus } from "./invocation-row.js";
import { JournalHost, type Touched } from "./journal-host.js";
import { KeyLock } from "./key-lock.js";
import * as control from "./lifecycle-control.js";
import type { ControlResult, LifecycleOps } from "./lifecycle-control.js";
import type { LifecycleDriver } from "./lifecycle-driver.js";
import { atomicallyIf, type LifecycleStore } from "./lifecycle-store.js";
import { LiveAttempts } from "./live-attempts.js";
import type { Delivery, InvocationResult, InvokeRequest, OutputLookup, SendReceipt, Subscriber } from "./messages.js";
import { retentionMs, type DeclaredLimit, type HandlerSpec, type Registry } from "./registry.js";
import { afterFailedAttempt, type FailureHost } from "./failed-attempt.js";
import { storeCompletion } from "./store-completion.js";
import type { WaitingRoom } from "./waiting-room.js";
import { answerGrant, finishedSlot, holdsNoSlot, pausedSlot, waitForSlot } from "./limit-slots.js";

export type { Admission } from "./admission.js";
import type { Completion, Entry, Target } from "./types.js";

export interface LifecycleConfig {
  registry: Registry;
  kinds: TargetKinds;
  /** The exclusive invocation holding the key's lock, as storage says when the host wakes. @default null */
  lockHolder?: string | null;
  /** Storage holds no pending invocation when the host wakes (the lock's waiters need not be read). @default false */
  nonePending?: boolean;
  /** Passed to `ctx.request().extraArgs` (the Worker env on Cloudflare). */
  extraArgs?: readonly unknown[];
  /** Hand every completion to a fresh attempt that replays the journal (the test runtime's always-replay mode). */
  alwaysReplay?: boolean;
  /** Where requests waiting for results here are counted (waiting-room.ts). @default a room of this host's own */
  waiting?: WaitingRoom;
}

export class Lifecycle {
  readonly #store: LifecycleStore;
  readonly #driver: LifecycleDriver;
  readonly #config: LifecycleConfig;
  readonly #host: JournalHost;
  readonly #lock: KeyLock;
  readonly #attempts: LiveAttempts;
  readonly #callers: Callers;
  readonly #ops: LifecycleOps;
  /**
   * Invocations this instance admitted with an empty journal that wait to start (for the
   * key's lock, their time or a limit slot): their start reads no journal back, and a
   * pending or scheduled one that asks for its slot has asked none before (one admitted
   * `ready` asked at admission, and leaves this set when it starts).
   */
  readonly #fresh = new Set<string>();
  /** The limits' steps (limit-slots.ts) over this lifecycle's store and driver; a failed attempt's too. */
  readonly #slots: FailureHost;
  readonly #admission: AdmissionHost;

  constructor(store: LifecycleStore, driver: LifecycleDriver, config: LifecycleConfig) {
    this.#store = store;
    this.#driver = driver;
    this.#config = config;
    this.#lock = new KeyLock(config.lockHolder ?? null, () => store.nextPending(), config.nonePending);
    this.#callers = new Callers(store, driver, (row) => this.result(row), (sub, calleeId, completion) => this.#answerHere(sub, calleeId, completion), config.waiting);
    this.#attempts = new LiveAttempts(driver, config.kinds, config.extraArgs, (row, spec, outcome) => this.#ended(row, spec, outcome));
    this.#host = new JournalHost(store, {
      now: () => driver.now(),
      cancelRequested: this.#attempts.cancelRequested,
      scopeOf: (id) => this.#scopeOf(id),
      readsState: (id) => (this.#attempts.row(id) ?? this.#store.invocation(id))?.key != null,
      afterCommit: (touched) => this.#afterCommit(touched),
      admitHere: (request) => void this.admit(request, request.replyTo),
      sideEffectStarted: () => driver.executing(true),
      randomBytes: (length) => driver.randomBytes(length),
      log: (level, id, args) => driver.log(level, id, args),
      ...(driver.entryRecorded || driver.tracer ? { recorded: (id: string, entry: Entry) => this.#recorded(id, entry) } : {}),
      ...(driver.tracer ? { tracer: driver.tracer } : {}),
    });
    this.#ops = this.#operations();
    this.#slots = { store, driver, setStatus: (id, status) => this.#setStatus(id, status) };
    this.#admission = { store, driver, config, lock: this.#lock, callers: this.#callers, next: this.#admissionSteps() };
  }

  /** The exclusive invocation holding the key's lock, if any. */
  get lockHolder(): string | null {
    return this.#lock.holder;
  }

  /** How many requests and callers in this process wait for results here (memory only). */
  get waiting(): number {
    return this.#callers.waiting;
  }

  /** Some attempt in memory is executing code (not only waiting): a crash now needs a replay. */
  get executing(): boolean {
    return this.#attempts.executing;
  }

  /** An attempt of `id` is in memory (executing, or waiting on a completion). */
  isLive(id: string): boolean {
    return this.#attempts.has(id);
  }

  /** Whether `test` holds for every invocation with an attempt in memory (true when there are none). */
  everyLive(test: (id: string) => boolean): boolean {
    return this.#attempts.every(test);
  }

  /**
   * The invocation with an attempt here that waits for `id`'s result, when `id` is its call living
   * beside it (its callee in the same owner: a crash of this host takes both, and replays both).
   */
  callerHere(id: string): string | undefined {
    const by = this.#attempts.row(id)?.invokedBy;
    return by !== undefined && this.#attempts.has(by) && invocationOwner(by) === invocationOwner(id) ? by : undefined;
  }

  /** Waiting on completions (sleep, call, awakeable, promise) rather than executing code: Restate's "suspended". */
  isWaiting(id: string): boolean {
    return this.#attempts.waiting(id) ?? this.#store.pendingEntries(id).length > 0;
  }

  /** What a log line about `id` names: its target and its attempt (from 1: the one running, or the last). */
  about(id: string): { target: Target; attempt: number } | undefined {
    const row = this.#attempts.row(id) ?? this.#store.invocation(id);
    return row && { target: targetOf(row), attempt: row.attempts + 1 };
  }

  // ---- arrivals ----

  /** Stores a new invocation and starts it if it may run now, or finds the one with its id (admission.ts). */
  admit(req: InvokeRequest, subscriber?: Subscriber, journal: readonly Entry[] = []): Admission {
    return admit(this.#admission, req, subscriber, journal);
  }

  /** Admits a request from ingress and waits for its result. */
  invoke(req: InvokeRequest): Promise<InvocationResult> {
    // Too many requests wait here: refused before admission (nothing starts), unless its answer is stored.
    const full = this.#callers.refusal(req.invocationId);
    if (full) return Promise.resolve(this.#storedOr(req.invocationId, full));
    const { row, fresh, refused, conflict } = this.admit(req);
    if (refused ?? conflict) return Promise.resolve({ invocationId: row.id, ok: false, error: (refused ?? conflict)! });
    if (row.status === STATUS.completed) return Promise.resolve(this.result(row));
    // A duplicate latches on to an invocation another request started: it joins it.
    return fresh ? this.#callers.wait(row.id) : this.#callers.join(row.id);
  }

  /**
   * A call whose caller takes the answer in the delivery's response (the durable side's RPC):
   * admitted like any call (a duplicate id finds the first), but the caller is not stored as a
   * subscriber. Returns the completion if it is done already, else the wait for it; a caller
   * that stops waiting first must `subscribe` and leave the wait, and the answer then travels
   * as a reply delivery.
   */
  admitCall(req: InvokeRequest): { completion: Completion } | { pending: CompletionWait } {
    const { row, conflict } = this.admit(req);
    if (conflict) return { completion: { failure: conflict } };
    if (row.status === STATUS.completed) return { completion: row.completion! };
    return { pending: this.#callers.waitCompletion(row.id) };
  }

  /** Admits a one-way send from ingress (a repeat is "PreviouslyAccepted"; a colliding id is "Refused"). */
  send(req: InvokeRequest): SendReceipt {
    const { row, fresh, conflict } = this.admit(req);
    return conflict ? { invocationId: row.id, status: "Refused", error: conflict } : receiptOf(row, !fresh);
  }

  /**
   * An invocation's result when it is done; with `wait`, waits for it (a request joining an
   * invocation it did not start). `expected`: a lookup by idempotency key, which a row of
   * another request (a hash collision) does not answer.
   */
  async lookup(id: string, wait: boolean, expected?: LookupExpectation): Promise<OutputLookup> {
    const row = this.#store.invocation(id);
    if (!row || (expected && !sameRequest(row, expected))) return { state: "unknown" };
    if (row.status === STATUS.completed) return { state: "done", result: this.result(row) };
    if (!wait) return { state: "pending", invocationId: id };
    return { state: "done", result: await this.#callers.join(id) };
  }

  #storedOr(id: string, refused: InvocationResult): InvocationResult {
    const row = this.#store.invocation(id);
    return row?.status === STATUS.completed ? this.result(row) : refused;
  }

  /** The result of a completed row, as ingress renders it. */
  result(row: InvocationRow): InvocationResult {
    return resultOf(row, this.#config.registry.handler(row.service, row.handler)?.output.contentType);
  }

  /** A delivery from another owner (or this one). */
  deliver(d: Delivery): void {
    switch (d.kind) {
      case "invoke": {
        const { row, fresh, conflict } = this.admit(d.request, d.request.replyTo);
        if (fresh || !d.request.replyTo) return; // a colliding send is dropped: its sender waits for nothing
        if (conflict) return this.#callers.refuse(d.request.replyTo, row.id, conflict);
        return this.#callers.subscribe(row.id, row, d.request.replyTo); // the row admit just read
      }
      case "complete":
        return void this.complete(d.invocationId, d.index, d.completion, { kind: "result", ...(d.calleeId !== undefined ? { calleeId: d.calleeId } : {}) });
      case "awakeable":
        // A delivery without a secret was stored before ids had one: it proves nothing.
        return void (d.secret !== undefined && this.complete(d.invocationId, d.index, d.completion, awakeableSource(d.secret, d.traceparent)));
      case "subscribe":
        return this.subscribe(d.invocationId, d.subscriber);
      case "cancel":
        return void this.cancel(d.invocationId);
      case "grant":
        return this.granted(d);
      default:
        // A limiter's deliveries (acquire, release, …) are its limit host's: the owner routes them.
        return;
    }
  }

  /** A limiter granted a slot (a delivery, or its answer to the acquire): start, or give the slot back. */
  granted(grant: { invocationId: string; round: number; limiter: string }): void {
    const row = this.#store.invocation(grant.invocationId);
    const answer = answerGrant(this.#store, row, grant, this.#driver.now());
    if (answer === "start") this.#start(row!, true);
    else if (answer === "released") this.#driver.deliverSoon();
  }

  /** Someone waits for an invocation's result: answered now when it is done (or unknown), else when it is. */
  subscribe(id: string, subscriber: Subscriber): void {
    this.#callers.subscribe(id, this.#store.invocation(id), subscriber);
  }

  /**
   * A completion for a journal entry: if the engine finds the entry is `source`'s to
   * complete, store it, then resume the invocation.
   */
  complete(inv: string, idx: number, completion: Completion, source: CompletionSource): CompletionVerdict {
    const found = this.#store.entry(inv, idx);
    const verdict = judgeCompletion(found, source);
    // A fired timer goes whatever it found (a refused one would fire again at every wake-up);
    // only sleeps have timers, so a call's or awakeable's completion deletes none.
    const timer = source.kind === "timer" || (verdict === "complete" && found?.entry.type === "sleep");
    const write = () => {
      if (verdict === "complete") this.#store.completeEntry(inv, idx, completion);
      if (timer) this.#store.deleteTimer(inv, idx);
    };
    atomicallyIf(this.#store, verdict === "complete" && timer, write);
    if (verdict !== "complete") return verdict;
    this.#driver.tracer?.entryCompleted(inv, idx, completion, source.kind === "awakeable" ? source.traceparent : undefined);
    this.#resume(inv, idx, completion);
    return verdict;
  }

  /**
   * A callee living beside its caller finished: the caller's entry is completed here, as its reply
   * delivery would complete it, once the callee's own writes are done (the same turn: one commit).
   */
  #answerHere(sub: Subscriber, calleeId: string, completion: Completion): void {
    queueMicrotask(() => void this.complete(sub.invocationId, sub.index, completion, { kind: "result", calleeId }));
  }

  #recorded(id: string, entry: Entry): void {
    this.#driver.entryRecorded?.(id, entry);
    this.#driver.tracer?.entryRecorded(id, entry);
  }

  /** Hands a stored completion to the attempt in memory, or replays a running invocation. */
  #resume(inv: string, idx: number, completion: Completion): void {
    if (!this.#config.alwaysReplay && this.#attempts.complete(inv, idx, completion)) return;
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
    for (const row of due) {
      // A back-off's invocation holds the lock already; a scheduled one may find it taken and queue.
      if (!row.exclusive || this.#lock.acquire(row.id)) this.#start(row);
      else this.#setStatus(row.id, STATUS.pending), this.#lock.queued({ ...row, status: STATUS.pending, nextAt: null });
    }
    const expired = this.#store.deleteExpired(now);
    for (const id of expired) this.#removed(id);
    return timers.length + due.length + expired.length;
  }

  /** Replays invocations stored as running that no attempt in memory drives (after a restart, or `id`'s eviction). */
  recoverOrphans(id?: string): number {
    const running = id === undefined ? this.#store.invocationsWithStatus(STATUS.running) : [this.#store.invocation(id)];
    let started = 0;
    for (const row of running) {
      if (row?.status !== STATUS.running || this.#attempts.has(row.id)) continue;
      this.#start(row);
      started++;
    }
    return started;
  }

  /** Drops attempts from memory (the process died, or the host let them go): their invocations stay running. */
  evict(id?: string): void {
    this.#attempts.drop(id);
  }

  /**
   * Backstop for awaits outside ctx.run, checked at each event the host receives: an
   * attempt still executing since an earlier turn needs the recovery wake-up (one started
   * by an arrival of the same batch has awaited nothing yet: arming for it would be undone
   * in the same turn).
   */
  checkExecuting(): void {
    if (this.#attempts.size > 0 && this.#attempts.executingSinceEarlier) this.#driver.executing(true);
  }

  // ---- operators (lifecycle-control.ts) ----

  cancel(id: string): ControlResult {
    return control.cancel(this.#ops, id);
  }

  kill(id: string): ControlResult {
    return control.kill(this.#ops, id);
  }

  pause(id: string): ControlResult {
    return control.pause(this.#ops, id);
  }

  resume(id: string): ControlResult {
    return control.resume(this.#ops, id);
  }

  purge(id: string): ControlResult {
    return control.purge(this.#ops, id);
  }

  restartAsNew(id: string, newId: string, owner: string, from: number): ControlResult<{ invocationId: string }> {
    return control.restartAsNew(this.#ops, id, newId, owner, from);
  }

  #operations(): LifecycleOps {
    const lifecycle = this;
    return {
      store: this.#store,
      kinds: this.#config.kinds,
      get lockHolder() {
        return lifecycle.#lock.holder;
      },
      now: () => this.#driver.now(),
      finish: (row, completion) => this.#finish(row, completion),
      start: (row) => this.#start(row),
      complete: (inv, idx, completion, source) => this.complete(inv, idx, completion, source),
      park: (id) => (this.#attempts.drop(id), this.#setStatus(id, STATUS.paused), pausedSlot(this.#slots, id)),
      requestCancel: (id) => (this.#store.setCancelRequested(id, true), this.#attempts.cancelRequested.add(id)),
      admit: (req, journal) => void this.admit(req, undefined, journal),
      removed: (id) => this.#removed(id),
      deliverSoon: () => this.#driver.deliverSoon(),
    };
  }

  #admissionSteps(): AdmissionSteps {
    return {
      // Once its row commits: a call admitted in its caller's record (admitHere) may still roll back with it.
      run: (row, spec, journal) => this.#store.afterCommit(() => this.#attempts.start(row, spec, journal, this.#host)),
      askSlot: (row, limit) => waitForSlot(this.#slots, row, limit, true),
      startsLater: (id) => void this.#fresh.add(id),
      finish: (row, result) => this.#finish(row, result),
    };
  }

  /** A limited invocation holding no slot asks for one (status `ready`); one admitted here reads no earlier ask (#fresh). */
  #askSlot(row: InvocationRow, limit: DeclaredLimit): void {
    waitForSlot(this.#slots, row, limit, this.#fresh.has(row.id));
  }

  // ---- transitions ----

  /**
   * Runs an attempt of a stored invocation: a retry, a replay, or its turn for the lock. A
   * limited target's invocation holding no slot asks for one instead; `granted`: it got it.
   */
  #start(row: InvocationRow, granted = false): void {
    const spec = this.#config.registry.handler(row.service, row.handler);
    if (!spec || row.status === STATUS.completed || (row.status === STATUS.ready && !granted)) return;
    if (spec.limit && !granted && holdsNoSlot(row.status)) return this.#askSlot(row, spec.limit);
    const journal = this.#fresh.delete(row.id) ? [] : this.#store.journal(row.id);
    if (row.status === STATUS.running) return this.#attempts.start(row, spec, journal, this.#host);
    this.#setStatus(row.id, STATUS.running);
    this.#attempts.start({ ...row, status: STATUS.running, nextAt: null }, spec, journal, this.#host);
  }

  #ended(row: InvocationRow, spec: HandlerSpec, outcome: AttemptOutcome): void {
    if (outcome.kind === "success") return this.#finish(row, { value: outcome.value });
    if (outcome.kind === "failure") return this.#finish(row, { failure: outcome.error });
    const killed = afterFailedAttempt(this.#slots, row, spec, outcome);
    if (killed) this.#finish(row, killed);
  }

  /** Completes an invocation: stores the result, answers waiters and callers, releases the lock. Never throws. */
  #finish(row: InvocationRow, result: Completion): void {
    const { id } = row;
    const now = this.#driver.now();
    const expiresAt = now + retentionMs(this.#config.registry.handler(row.service, row.handler), row.idempotencyKey !== null);
    const logError = (message: string): void => this.#driver.log("error", id, [message]);
    const { completion, replies } = storeCompletion(this.#store, this.#callers, logError, id, result, { now, expiresAt });
    this.#driver.rowChanged?.(id, false);
    this.#driver.tracer?.invocationFinished(row, completion);
    this.#attempts.drop(id);
    this.#callers.answerWaiters(row, completion, expiresAt);
    this.#fresh.delete(id);
    const released = finishedSlot(this.#slots, id, row.status === STATUS.paused, now);
    if (row.status === STATUS.pending) this.#lock.left(id);
    else if (row.exclusive) this.#releaseLock(id);
    if (replies > 0 || released) this.#driver.deliverSoon();
    this.#driver.wakeBy(expiresAt);
  }

  #releaseLock(id: string): void {
    const next = this.#lock.release(id);
    const row = next && (next.row ?? this.#store.invocation(next.id));
    if (row) this.#start(row);
  }

  #setStatus(id: string, status: InvocationStatus): void {
    this.#store.setStatus(id, status, this.#driver.now());
    this.#driver.rowChanged?.(id, false);
  }

  /** An invocation was deleted (retention ended, or an operator purged it). */
  #removed(id: string): void {
    this.#driver.rowChanged?.(id, true);
    // A workflow's instance ends with its run: its state and promises go too, and the id may run again.
    if (!isWorkflowRunId(id)) return;
    const owner = parseOwnerName(invocationOwner(id) ?? "");
    if (owner?.kind === "w") this.#store.clearWorkflowData(owner.key);
  }

  /** Which workflow id's state and promises an invocation sees ("" outside workflows). */
  #scopeOf(id: string): string {
    const row = this.#attempts.row(id) ?? this.#store.invocation(id);
    return row ? stateScope(this.#config.kinds, row.service, row.key) : "";
  }

  #afterCommit(touched: Touched): void {
    if (touched.timerAt !== undefined) this.#driver.wakeBy(touched.timerAt);
    if (touched.outbox) this.#driver.deliverSoon();
    for (const p of touched.promises) {
      this.#driver.tracer?.entryCompleted(p.inv, p.idx, p.completion);
      queueMicrotask(() => this.#resume(p.inv, p.idx, p.completion));
    }
  }
}
