/**
 * The object's single alarm, multiplexed over everything that is due: timers,
 * retry back-offs, delayed starts, outbox redeliveries, retention clean-up, and
 * a recovery wake-up while an attempt is executing (if the process dies mid-
 * attempt, the alarm replays it from the journal).
 * Invariant: the alarm is never later than the earliest due work, and it is
 * written synchronously when an attempt starts, so it is durable before the
 * attempt's first I/O leaves the object (the output gate holds that I/O).
 * Also the object's clock: real time plus a test-only offset.
 */
import { CLOCK_OFFSET_KEY, type Store } from "./store.js";

/** How soon after a crash an executing attempt is replayed. */
export const RECOVERY_MS = 1_000;
/** How soon an undelivered outbox row is retried if the process died before delivering it. */
export const REDELIVERY_MS = 1_000;

export class AlarmClock {
  #offset: number;
  /** Real time the alarm is set for; null when none. */
  #alarmAt: number | null = null;
  /** Earliest stored due work (object clock); null when none; undefined until first needed. */
  #due: number | null | undefined;
  #recovery = false;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: Store,
    clockOffset: number,
  ) {
    this.#offset = clockOffset;
  }

  now(): number {
    return Date.now() + this.#offset;
  }

  async load(): Promise<void> {
    this.#alarmAt = await this.storage.getAlarm();
  }

  /** The alarm handler runs: the alarm is consumed. */
  fired(): void {
    this.#alarmAt = null;
  }

  /** Work is due now (replay orphans, redeliver): recorded as due so nothing disarms it. */
  wakeNow(): void {
    this.ensureBy(this.now());
  }

  /** Test hook: moves the clock forward. */
  advance(ms: number): void {
    this.#offset += ms;
    this.store.setMeta(CLOCK_OFFSET_KEY, String(this.#offset));
  }

  /** New work is due at `at` (timer, retry, delayed start, delivery, expiry). */
  ensureBy(at: number): void {
    // The alarm is never later than stored due work: when it is set by `at` already, nothing
    // changes, and the earliest-due query (a woken object's first finish) can wait for the alarm.
    if (this.#due === undefined && this.#alarmAt !== null && this.#alarmAt + this.#offset <= at) return;
    this.#due = Math.min(this.#knownDue() ?? Infinity, at);
    this.#apply();
  }

  /** Whether some attempt is executing code (arms or disarms the recovery wake-up). */
  recovery(executing: boolean): void {
    if (executing === this.#recovery && !executing) return;
    this.#recovery = executing;
    this.#apply();
  }

  /** Recomputes from storage (after the alarm consumed due work); `knownDue` skips the query. */
  sync(executing: boolean, knownDue = false): void {
    if (!knownDue) this.#due = this.store.earliestDue() ?? null;
    this.#recovery = executing;
    this.#apply();
  }

  #knownDue(): number | null {
    if (this.#due === undefined) this.#due = this.store.earliestDue() ?? null;
    return this.#due;
  }

  /** True when nothing stored is due yet: the alarm fired only to check on attempts. */
  get nothingDue(): boolean {
    const due = this.#knownDue();
    return due === null || due > this.now();
  }

  #apply(): void {
    const due = this.#knownDue() ?? Infinity;
    const recoveryAt = this.#recovery ? this.now() + RECOVERY_MS : Infinity;
    const target = Math.min(due, recoveryAt);
    const current = this.#alarmAt === null ? null : this.#alarmAt + this.#offset;
    // An alarm set earlier than needed is kept: it fires, finds little to do and re-syncs.
    // So a busy object writes its alarm about once per RECOVERY_MS, not on every request.
    if (target === Infinity || (current !== null && current <= target)) return;
    this.#set(target - this.#offset);
  }

  #set(real: number): void {
    this.#alarmAt = real;
    void this.storage.setAlarm(real);
  }
}
