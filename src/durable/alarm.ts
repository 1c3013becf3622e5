/**
 * The object's single alarm, multiplexed over everything that is due: timers,
 * retry back-offs, delayed starts, outbox redeliveries, retention clean-up, and
 * a recovery wake-up while an attempt is executing (if the process dies mid-
 * attempt, the alarm replays it from the journal).
 * Also the object's clock: real time plus a test-only offset.
 */
import type { Store } from "./store.js";

/** How soon after a crash an executing attempt is replayed. */
export const RECOVERY_MS = 1_000;
const CLOCK_OFFSET_KEY = "clock_offset";

export class AlarmClock {
  #offset: number;
  /** Real time the alarm is set for; null when none; undefined before load(). */
  #alarmAt: number | null | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: Store,
  ) {
    this.#offset = Number(store.meta(CLOCK_OFFSET_KEY) ?? 0);
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

  wakeNow(): void {
    this.#set(Date.now());
  }

  /** Test hook: moves the clock forward. */
  advance(ms: number): void {
    this.#offset += ms;
    this.store.setMeta(CLOCK_OFFSET_KEY, String(this.#offset));
  }

  /** Arms the alarm for the earliest due work; `executing` adds the recovery wake-up. */
  sync(executing: boolean): void {
    const due = this.store.earliestDue();
    const recovery = executing ? this.now() + RECOVERY_MS : undefined;
    const candidates = [due, recovery].filter((t): t is number => t !== undefined);
    if (candidates.length === 0) {
      if (this.#alarmAt) void this.storage.deleteAlarm();
      this.#alarmAt = null;
      return;
    }
    const real = Math.min(...candidates) - this.#offset;
    const current = this.#alarmAt;
    // An alarm already set earlier (and still in the future) fires first and re-syncs.
    if (current !== undefined && current !== null && current <= real && current > Date.now()) return;
    this.#set(real);
  }

  #set(real: number): void {
    this.#alarmAt = real;
    void this.storage.setAlarm(real);
  }
}
