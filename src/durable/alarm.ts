/**
 * The object's single alarm, multiplexed over everything that is due: timers,
 * retry back-offs, delayed starts, outbox redeliveries, retention clean-up, and
 * a recovery wake-up while an attempt is executing (if the process dies mid-
 * attempt, the alarm replays it from the journal).
 *
 * Invariant: whenever stored work is due, an alarm the runtime will fire is set
 * no later than that work. Storage's own idea of the alarm (`getAlarm()`) is not
 * trusted for that: workerd keeps the alarm in two places (the object's database
 * and its alarm scheduler), and a `setAlarm` to the time already stored is a no-op
 * that never reaches the scheduler. Inside `alarm()` that no-op is fatal: the
 * scheduler drops its row when the handler returns, and the object's storage keeps
 * reporting the past time forever. (Seen under `npm run chaos`: an attempt resumed by
 * a fired timer started executing, the recovery wake-up recomputed the alarm from the
 * due time just fired, which equals the handler's frozen `Date.now()`, and wrote back
 * the stored value.) So:
 *
 * - at start-up the alarm is re-armed unless storage reports one that is still in
 *   the future and no later than the earliest due work (`start`);
 * - `alarm()` first writes a recovery alarm (a real change: it is later than the
 *   one that fired) and waits until it is committed, so the scheduler holds a row
 *   for the rest of the handler; at its end the alarm is set to exactly the next
 *   due time, later or earlier, or deleted when nothing is due (`alarmStarted`,
 *   `alarmEnded`).
 *
 * Outside `alarm()` an alarm set earlier than needed is kept while the object is
 * busy (it fires, finds little to do and re-syncs), so a busy object writes its alarm
 * about once per RECOVERY_MS, not on every request. An object that goes quiet after a
 * crash wake-up (`guardBy`, the recovery wake-up) settles it to exactly its next due
 * work in that turn (`settle`): moving an alarm later or deleting it rides on the
 * turn's commit without holding it back, where a wake-up that fires for nothing costs
 * two commits of its own. One that fires with nothing due on a healthy instance writes
 * only the next due time (`quietFire`).
 * Due times are on the object's clock (object-clock.ts); the alarm is set in wall-clock time.
 */
import type { ObjectClock } from "./object-clock.js";
import type { Store } from "./store.js";

/** How soon after a crash an executing attempt is replayed. */
export const RECOVERY_MS = 1_000;
/** How soon an undelivered outbox row is retried if the process died before delivering it. */
export const REDELIVERY_MS = 1_000;
/**
 * How soon the alarm fires again when work is still due after an alarm (more than one
 * batch was due). Not zero: a row that cannot make progress must not spin the object.
 */
export const BUSY_REFIRE_MS = 50;

/** What the clock needs from storage besides the alarm: due work. */
export type DueWork = Pick<Store, "earliestDue">;

export class AlarmClock {
  /** Wall-clock time of an alarm known to be armed; null when none is. */
  #alarmAt: number | null = null;
  /** Earliest stored due work (object clock); null when none; undefined until first needed. */
  #due: number | null | undefined;
  #recovery = false;
  /** The alarm as it stood before a recovery wake-up armed in this turn replaced it (see `recovery`). */
  #beforeRecovery: { at: number | null } | undefined;
  #inHandler = false;
  /** The alarm may be earlier than stored due work: armed for a crash wake-up (`guardBy`, recovery). */
  #early = false;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: DueWork,
    private readonly clock: ObjectClock,
  ) {}

  /**
   * A fresh instance starts (first use, restart, eviction). `due` is the earliest stored due
   * work (object clock), or null. Whatever storage reports (no alarm, one in the past that the
   * scheduler may have dropped, one later than `due`), an alarm is then set by `due`.
   */
  async start(due: number | null): Promise<void> {
    const stored = await this.storage.getAlarm();
    // A stored alarm still ahead of us is one the scheduler holds (it is removed only after
    // it fires); one in the past may be a dropped one, so it is written again.
    this.#alarmAt = stored !== null && stored >= Date.now() ? stored : null;
    this.#due = due;
    this.#apply();
  }

  /**
   * The alarm handler starts. The alarm that fired is consumed; a recovery alarm replaces it
   * before any work, committed before this resolves, so the scheduler holds a row while the
   * handler runs (a crash mid-handler is retried) and no later write can be a no-op.
   */
  alarmStarted(): Promise<void> {
    this.#inHandler = true;
    this.#beforeRecovery = undefined;
    this.#set(Date.now() + RECOVERY_MS);
    return this.storage.sync();
  }

  /**
   * The alarm handler ends: the alarm is set to exactly the next due time (moved later too,
   * else every alarm would leave a recovery alarm behind), or deleted when nothing is due.
   * `knownDue` skips the query (nothing was consumed).
   */
  alarmEnded(executing: boolean, knownDue = false): void {
    this.#inHandler = false;
    if (!knownDue) this.#due = this.store.earliestDue() ?? null;
    this.#recovery = executing;
    this.#early = executing;
    const target = this.#target();
    if (target === Infinity) {
      this.#alarmAt = null;
      return void this.storage.deleteAlarm();
    }
    // Work still due now is a batch left for another round, shortly.
    const real = this.clock.wallTime(target);
    this.#set(real > Date.now() ? real : Date.now() + BUSY_REFIRE_MS);
  }

  /**
   * The alarm fired on an instance that has replayed what it found: when nothing is due and
   * nothing executes, the alarm is set to the next due work (or left consumed) without the
   * recovery alarm's commit; returns false when there is work, for the full handler.
   * (Setting a time other than the one that fired is a real change, so the scheduler keeps it.)
   */
  quietFire(): boolean {
    if (this.#recovery) return false;
    const due = (this.#due = this.store.earliestDue() ?? null);
    if (due !== null && due <= this.clock.now()) return false;
    this.#early = false;
    this.#alarmAt = null;
    if (due !== null) this.#set(Math.max(this.clock.wallTime(due), Date.now() + BUSY_REFIRE_MS));
    return true;
  }

  /** A wake-up needed only if this process dies (redelivery, the index's reminder): by `at`. */
  guardBy(at: number): void {
    const before = this.#alarmAt;
    this.ensureBy(at);
    if (this.#alarmAt !== before) this.#early = true;
  }

  /**
   * Nothing executes and, when `quiet()` says so, nothing in memory needs a crash wake-up any
   * more (object.ts decides; asked only when an alarm was armed early, the rare case): that
   * alarm is set to exactly the next stored due work, or deleted.
   */
  settle(quiet: () => boolean = () => true): void {
    if (!this.#early || this.#inHandler || this.#recovery || this.#beforeRecovery || !quiet()) return;
    this.#early = false;
    this.#due = this.store.earliestDue() ?? null;
    const target = this.#target();
    if (target === Infinity) {
      this.#alarmAt = null;
      return void this.storage.deleteAlarm();
    }
    const wall = Math.max(this.clock.wallTime(target), Date.now());
    if (this.#alarmAt === null || wall > this.#alarmAt) this.#set(wall);
  }

  /** Work is due now (replay orphans, redeliver): recorded as due so nothing disarms it. */
  wakeNow(): void {
    this.ensureBy(this.clock.now());
  }

  /** New work is due at `at` (timer, retry, delayed start, delivery, expiry). */
  ensureBy(at: number): void {
    // The alarm is never later than stored due work: when it is set by `at` already, nothing
    // changes, and the earliest-due query (a woken object's first finish) can wait for the alarm.
    if (this.#due === undefined && this.#alarmAt !== null && this.#alarmAt <= this.clock.wallTime(at)) return;
    this.#due = Math.min(this.#knownDue() ?? Infinity, at);
    this.#apply();
  }

  /**
   * Whether some attempt is executing code (arms or disarms the recovery wake-up). Most
   * attempts (W3) execute from start to end in the turn that started them: the wake-up they
   * armed is then taken back in the same turn, so the turn's commit carries no alarm change
   * (workerd schedules an alarm at commit, from the value then stored) and no alarm fires a
   * second later to find nothing to do.
   */
  recovery(executing: boolean): void {
    if (executing === this.#recovery && !executing) return;
    this.#recovery = executing;
    if (executing) return this.#armRecovery();
    if (this.#beforeRecovery) return this.#disarmRecovery(this.#beforeRecovery.at);
    this.#apply();
  }

  #armRecovery(): void {
    const before = this.#alarmAt;
    this.#apply();
    if (this.#alarmAt === before || this.#inHandler) return;
    this.#early = true;
    if (this.#beforeRecovery) return;
    this.#beforeRecovery = { at: before };
    // A later turn may follow this one's commit: from then on the wake-up stays (it fires and re-syncs).
    setTimeout(() => (this.#beforeRecovery = undefined), 0);
  }

  /** Nothing executes any more, in the turn that armed the recovery wake-up over `before`. */
  #disarmRecovery(before: number | null): void {
    this.#beforeRecovery = undefined;
    this.#early = false;
    const target = this.#target();
    const wall = target === Infinity ? Infinity : Math.max(this.clock.wallTime(target), Date.now());
    // The alarm as it was still covers due work: put it back (the commit then changes nothing).
    if (before === null && wall === Infinity) return void ((this.#alarmAt = null), this.storage.deleteAlarm());
    if (before !== null && before <= wall) return this.#set(before);
    // Else it becomes exactly the next due work's.
    if (wall !== Infinity) this.#set(wall);
  }

  #knownDue(): number | null {
    if (this.#due === undefined) this.#due = this.store.earliestDue() ?? null;
    return this.#due;
  }

  /** True when nothing stored is due yet: the alarm fired only to check on attempts. */
  get nothingDue(): boolean {
    const due = this.#knownDue();
    return due === null || due > this.clock.now();
  }

  /** When the alarm must fire (object clock): the earliest due work or the recovery wake-up. */
  #target(): number {
    const due = this.#knownDue() ?? Infinity;
    return Math.min(due, this.#recovery ? this.clock.now() + RECOVERY_MS : Infinity);
  }

  #apply(): void {
    const target = this.#target();
    if (target === Infinity) return;
    const wall = this.clock.wallTime(target);
    // An alarm set earlier than needed is kept: it fires, finds little to do and re-syncs.
    if (this.#alarmAt !== null && this.#alarmAt <= wall) return;
    // Work already due fires now; a time in the past could equal a stale stored one (a no-op).
    this.#set(Math.max(wall, Date.now()));
  }

  #set(real: number): void {
    if (real === this.#alarmAt) return;
    this.#alarmAt = real;
    void this.storage.setAlarm(real);
  }
}
