/**
 * The limiters and rule books of the memory runtime (issue 15): one LimitHost over
 * memory stores per reserved owner ("limiter:…", "limits:…"), each with an outbox whose
 * deliveries wait for their time on the fake clock (a rate window's wake-up). The
 * same rules as the Durable Objects' (engine/limiter.ts, engine/limit-rules.ts).
 * Pure: the clock comes in as `now`.
 */
import { LimitHost } from "./limit-host.js";
import { MemoryLimiterStore, MemoryRuleBookStore } from "./limiter-memory.js";
import type { Delivery, LimiterDelivery } from "./messages.js";

interface Pending {
  owner: string;
  delivery: Delivery;
  at: number;
}

export class MemoryLimits {
  readonly #hosts = new Map<string, LimitHost>();
  #outbox: Pending[] = [];

  constructor(private readonly bump: () => void) {}

  /**
   * Applies a limiter's or a rule book's delivery; an acquire granted at once is
   * answered with its grant, as a delivery to the invocation's owner here.
   */
  apply(delivery: LimiterDelivery, now: number): void {
    const reply = this.#host(delivery.owner).apply(delivery, now);
    if (reply && delivery.kind === "acquire") this.#enqueue(delivery.from, { kind: "grant", owner: delivery.from, invocationId: reply.invocationId, round: reply.round, limiter: reply.limiter }, now);
  }

  /** Removes and returns the deliveries due at `now`, in order. */
  takeDue(now: number): { owner: string; delivery: Delivery }[] {
    const due = this.#outbox.filter((p) => p.at <= now);
    this.#outbox = this.#outbox.filter((p) => p.at > now);
    return due;
  }

  /** When the next delivery waiting for its time is due. */
  nextDue(): number | undefined {
    return this.#outbox.length === 0 ? undefined : Math.min(...this.#outbox.map((p) => p.at));
  }

  #host(owner: string): LimitHost {
    let host = this.#hosts.get(owner);
    if (!host) {
      const limiter = new MemoryLimiterStore();
      const book = new MemoryRuleBookStore();
      host = new LimitHost({
        limiterStore: () => limiter,
        ruleBookStore: () => book,
        enqueue: (to, delivery, at) => this.#enqueue(to, delivery, at),
        deliverSoon: this.bump,
        wakeBy: this.bump,
      });
      this.#hosts.set(owner, host);
    }
    return host;
  }

  #enqueue(owner: string, delivery: Delivery, at: number): void {
    this.#outbox.push({ owner, delivery: structuredClone(delivery), at });
    this.bump();
  }
}
