/**
 * Issue #10 (defect 1, timers lost after crashes): AlarmClock against a model of
 * workerd's two alarm records — the object's own database and the alarm
 * scheduler's row — as measured on workerd 2026-04-26:
 *
 * - a setAlarm to the time already stored changes nothing and never reaches the
 *   scheduler (inside alarm() it also cancels the deferred delete, so the past time stays);
 * - when alarm() returns, the scheduler drops its row unless a changed alarm was written
 *   while it ran (a kill mid-handler keeps the row, so the alarm is retried);
 * - after a crash, storage may report an alarm in the past with no scheduler row.
 *
 * The object drives the clock as ResoluteObject does: `start` in the constructor,
 * `alarmStarted` / `alarmEnded` around the alarm handler's work.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AlarmClock, BUSY_REFIRE_MS, RECOVERY_MS } from "../../src/durable/alarm.js";
import { WALL_CLOCK } from "../../src/durable/object-clock.js";

const T0 = 1_800_000_000_000;

class FakeWorkerd {
  /** The alarm in the object's own database (what getAlarm reports). */
  local: number | null = null;
  /** The alarm scheduler's row: what will actually fire. */
  row: number | null = null;
  /** How many alarm writes changed something. */
  writes = 0;
  #handler: { deferredDelete: boolean; rewritten: boolean } | undefined;

  readonly storage = {
    getAlarm: async () => (this.#handler?.deferredDelete ? null : this.local),
    setAlarm: async (at: number) => this.#write(at),
    deleteAlarm: async () => this.#write(null),
    sync: async () => {},
  } as unknown as DurableObjectStorage;

  #write(at: number | null): void {
    if (this.#handler) this.#handler.deferredDelete = false;
    if (at === this.local) return;
    this.local = at;
    this.row = at;
    this.writes++;
    if (this.#handler) this.#handler.rewritten = true;
  }

  /** The scheduler runs alarm(); `dropRowAtStart` models a scheduler that forgets the row as it starts. */
  async fire(handler: () => Promise<void>, options: { crashMidway?: () => Promise<void>; dropRowAtStart?: boolean } = {}): Promise<void> {
    expect(this.row, "an alarm is armed").not.toBeNull();
    expect(this.row!, "the alarm is due").toBeLessThanOrEqual(Date.now());
    this.#handler = { deferredDelete: this.local === this.row, rewritten: false };
    if (options.dropRowAtStart) this.row = null;
    if (options.crashMidway) {
      await options.crashMidway();
      this.#handler = undefined; // the process died: nothing of the handler's end happens
      return;
    }
    await handler();
    const { deferredDelete, rewritten } = this.#handler;
    this.#handler = undefined;
    if (deferredDelete) this.local = null;
    if (!rewritten) this.row = null;
  }
}

/** Stored due work as the clock sees it (the earliest-due query). */
class FakeDue {
  constructor(public due: number | null) {}
  earliestDue = (): number | undefined => this.due ?? undefined;
}

/** What ResoluteObject's alarm() does around its work. */
async function alarmHandler(clock: AlarmClock, work: () => void = () => {}): Promise<void> {
  await clock.alarmStarted();
  work();
  clock.alarmEnded(false);
}

async function woken(workerd: FakeWorkerd, due: FakeDue): Promise<AlarmClock> {
  const clock = new AlarmClock(workerd.storage, due, WALL_CLOCK);
  await clock.start(due.due);
  return clock;
}

beforeEach(() => vi.useFakeTimers({ now: T0, toFake: ["Date"] }));
afterEach(() => vi.useRealTimers());

describe("issue #10: whatever storage reports at start-up, the alarm is armed for the earliest due work", () => {
  it("a stale alarm in the past that the scheduler dropped is written again", async () => {
    const workerd = new FakeWorkerd();
    workerd.local = T0 - 5_000; // what the kills left: a past time in storage, no scheduler row
    await woken(workerd, new FakeDue(T0 - 4_000)); // a timer overdue since then
    expect(workerd.row).not.toBeNull();
    expect(workerd.row!).toBeLessThanOrEqual(T0);
  });

  it("no alarm at all while work is due", async () => {
    const workerd = new FakeWorkerd();
    await woken(workerd, new FakeDue(T0 + 500));
    expect(workerd.row).toBe(T0 + 500);
  });

  it("an alarm later than the earliest due work is moved earlier", async () => {
    const workerd = new FakeWorkerd();
    workerd.local = workerd.row = T0 + 60_000;
    await woken(workerd, new FakeDue(T0 + 500));
    expect(workerd.row).toBe(T0 + 500);
  });

  it("a future alarm no later than the due work is trusted: a woken object writes nothing", async () => {
    const workerd = new FakeWorkerd();
    workerd.local = workerd.row = T0 + 500;
    await woken(workerd, new FakeDue(T0 + 500));
    expect(workerd.writes).toBe(0);
  });
});

describe("issue #10: an alarm never leaves due work unarmed", () => {
  it("work still due after the handler (another batch) is armed again, not lost to a no-op write", async () => {
    const workerd = new FakeWorkerd();
    const due = new FakeDue(T0 + 100);
    const clock = await woken(workerd, due);
    vi.setSystemTime(T0 + 100);
    await workerd.fire(() => alarmHandler(clock)); // the batch at T0+100 is still due afterwards
    expect(workerd.row).toBe(T0 + 100 + BUSY_REFIRE_MS);
    vi.setSystemTime(T0 + 100 + BUSY_REFIRE_MS);
    await workerd.fire(() => alarmHandler(clock, () => (due.due = T0 + 10_000)));
    expect(workerd.row).toBe(T0 + 10_000);
  });

  it("an attempt that starts executing while the alarm runs does not write back the time that fired (the loss npm run chaos showed)", async () => {
    const workerd = new FakeWorkerd();
    const due = new FakeDue(T0 + 100);
    const clock = await woken(workerd, due);
    vi.setSystemTime(T0 + 100); // Date.now() stays at the fired time through the handler
    await workerd.fire(async () => {
      await clock.alarmStarted();
      due.due = T0 + 5_000; // the timer fired; its invocation resumes...
      clock.recovery(true); // ...and executes code: the recovery wake-up is armed
      clock.alarmEnded(true);
    });
    expect(workerd.row).toBe(T0 + 100 + RECOVERY_MS);
  });

  it("a crash mid-handler leaves an alarm that fires, even if the scheduler consumed the one that started it", async () => {
    const workerd = new FakeWorkerd();
    const clock = await woken(workerd, new FakeDue(T0 + 100));
    vi.setSystemTime(T0 + 100);
    await workerd.fire(() => alarmHandler(clock), { dropRowAtStart: true, crashMidway: () => clock.alarmStarted() });
    expect(workerd.row).toBe(T0 + 100 + RECOVERY_MS);
  });

  it("the recovery alarm written at the start is moved to the next due time, later too (no 1-second loop)", async () => {
    const workerd = new FakeWorkerd();
    const due = new FakeDue(T0 + 100);
    const clock = await woken(workerd, due);
    vi.setSystemTime(T0 + 100);
    await workerd.fire(() => alarmHandler(clock, () => (due.due = T0 + 600_000)));
    expect(workerd.row).toBe(T0 + 600_000);
    vi.setSystemTime(T0 + 600_000);
    await workerd.fire(() => alarmHandler(clock, () => (due.due = null)));
    expect(workerd.row).toBeNull();
    expect(workerd.local).toBeNull();
  });

  it("issue 14: a recovery wake-up armed and disarmed in one turn leaves the alarm as it was, so the turn's commit changes no alarm", async () => {
    const workerd = new FakeWorkerd();
    const due = new FakeDue(T0 + 86_400_000); // a completed invocation's retention
    const clock = await woken(workerd, due);
    expect(workerd.local).toBe(T0 + 86_400_000);
    clock.recovery(true); // an attempt runs a step...
    expect(workerd.local).toBe(T0 + RECOVERY_MS);
    clock.recovery(false); // ...and ends before the turn does
    expect(workerd.local).toBe(T0 + 86_400_000);
    // A new key: no alarm before, none after.
    const empty = new FakeWorkerd();
    const fresh = await woken(empty, new FakeDue(null));
    fresh.recovery(true);
    fresh.recovery(false);
    expect(empty.local).toBeNull();
  });

  it("issue 14: a recovery wake-up that outlives its turn stays armed (the attempt may be waiting on I/O when the process dies)", async () => {
    const workerd = new FakeWorkerd();
    const clock = await woken(workerd, new FakeDue(T0 + 86_400_000));
    clock.recovery(true);
    await new Promise((r) => setTimeout(r, 1)); // the turn ended: its commit holds the recovery alarm
    clock.recovery(false);
    expect(workerd.local).toBe(T0 + RECOVERY_MS);
  });

  it("outside alarm() new work later than the armed alarm writes nothing (one alarm write per recovery period, not per request)", async () => {
    const workerd = new FakeWorkerd();
    const clock = await woken(workerd, new FakeDue(T0 + 1_000));
    const writes = workerd.writes;
    for (let i = 0; i < 100; i++) clock.ensureBy(T0 + 2_000 + i);
    clock.recovery(true);
    clock.recovery(false);
    expect(workerd.writes).toBe(writes);
  });
});

describe("issue 14: a crash wake-up that was not needed neither fires nor costs a commit of its own", () => {
  it("a redelivery wake-up armed by a call is settled to the next due work once the object is quiet (no fire a second later)", async () => {
    const workerd = new FakeWorkerd();
    const due = new FakeDue(null);
    const clock = await woken(workerd, due);
    clock.guardBy(T0 + 1_000); // a call's outbox row: redeliver if the process dies
    expect(workerd.row).toBe(T0 + 1_000);
    due.due = T0 + 86_400_000; // the call was answered and the invocation completed: its retention
    clock.settle();
    expect(workerd.row).toBe(T0 + 86_400_000);
    clock.guardBy(T0 + 1_000);
    due.due = null;
    clock.settle();
    expect(workerd.row).toBeNull();
  });

  it("settle keeps an alarm that stored due work needs, and one armed for work rather than a crash", async () => {
    const workerd = new FakeWorkerd();
    const due = new FakeDue(null);
    const clock = await woken(workerd, due);
    clock.guardBy(T0 + 1_000);
    due.due = T0; // an outbox row still undelivered: due now
    clock.settle();
    expect(workerd.row).toBe(T0 + 1_000);
    const other = new FakeWorkerd();
    const timers = new FakeDue(null);
    const sleeper = await woken(other, timers);
    timers.due = T0 + 500;
    sleeper.ensureBy(T0 + 500); // a sleep's timer
    timers.due = T0 + 60_000; // (the query would now say later, yet nothing asked for a crash wake-up)
    sleeper.settle();
    expect(other.row).toBe(T0 + 500);
  });

  it("settle leaves the recovery wake-up of an executing attempt", async () => {
    const workerd = new FakeWorkerd();
    const clock = await woken(workerd, new FakeDue(null));
    clock.recovery(true);
    await new Promise((r) => setTimeout(r, 1));
    clock.guardBy(T0 + 1_000);
    clock.settle();
    expect(workerd.row).toBe(T0 + RECOVERY_MS);
  });

  it("an alarm that fires on a quiet healthy instance writes only the next due time, and declines when work is due", async () => {
    const workerd = new FakeWorkerd();
    const due = new FakeDue(null);
    const clock = await woken(workerd, due);
    clock.guardBy(T0 + 1_000);
    vi.setSystemTime(T0 + 1_000);
    due.due = T0 + 86_400_000;
    const writes = workerd.writes;
    let quiet = false;
    await workerd.fire(async () => void (quiet = clock.quietFire()));
    expect(quiet).toBe(true);
    expect(workerd.writes - writes).toBe(1); // no recovery alarm first: one write, the retention's time
    expect(workerd.row).toBe(T0 + 86_400_000);
    due.due = T0; // something is due: the full handler runs
    expect(clock.quietFire()).toBe(false);
  });
});
