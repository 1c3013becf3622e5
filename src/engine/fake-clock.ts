/** Time that moves only when told to: the memory runtime's clock. Pure. */
export class FakeClock {
  #now: number;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves the clock to `at`; the clock never goes backwards. */
  set(at: number): void {
    if (at < this.#now) throw new RangeError(`FakeClock cannot go back from ${this.#now} to ${at}`);
    this.#now = at;
  }

  advance(ms: number): number {
    this.set(this.#now + ms);
    return this.#now;
  }
}
