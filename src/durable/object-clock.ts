/**
 * Time as one Durable Object sees it. Deployed, that is the wall clock; the test
 * fixtures inject a clock they can move (test/support/test-clock.ts) through
 * `buildWorker`'s object options, so no deployed Worker holds a way to move its clock.
 */
export interface ObjectClock {
  now(): number;
  /** The wall-clock time at which this clock shows `t` (alarms are set in wall-clock time). */
  wallTime(t: number): number;
}

export const WALL_CLOCK: ObjectClock = {
  now: () => Date.now(),
  wallTime: (t) => t,
};
