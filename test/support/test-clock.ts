/**
 * A Durable Object's clock that tests move forward (test-worker.ts injects it): the
 * wall clock plus an offset kept in the object's storage, so a restart keeps the
 * time the test moved it to. The offset is read when the object first asks the
 * time: an object that never does creates no storage for it.
 */
import type { ObjectClock } from "../../src/durable/object-clock.js";

const OFFSET_KEY = "test-clock-offset";
const clocks = new WeakMap<DurableObjectStorage, TestClock>();

export class TestClock implements ObjectClock {
  #offset: number | undefined;

  private constructor(private readonly storage: DurableObjectStorage) {}

  /** The clock of the object whose storage this is (one per object). */
  static of(storage: DurableObjectStorage): TestClock {
    let clock = clocks.get(storage);
    if (!clock) clocks.set(storage, (clock = new TestClock(storage)));
    return clock;
  }

  now(): number {
    return Date.now() + this.#offsetMs();
  }

  wallTime(t: number): number {
    return t - this.#offsetMs();
  }

  advance(ms: number): void {
    this.#offset = this.#offsetMs() + ms;
    this.storage.kv.put(OFFSET_KEY, this.#offset);
  }

  #offsetMs(): number {
    return (this.#offset ??= this.storage.kv.get<number>(OFFSET_KEY) ?? 0);
  }
}
