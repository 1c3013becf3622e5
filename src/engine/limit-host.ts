/**
 * An owner acting as a limiter ("limiter:<scope>:<key>") or as a limit scope's rule
 * book ("limits:<scope>") (issue 15): applies the limit deliveries through the
 * Limiter and the RuleBook and turns their effects into deliveries of its own
 * outbox. The Durable Object runs it over SQLite, the memory runtime over maps;
 * the caller makes each `apply` one transaction, so a grant, a wake-up or a rule is
 * stored exactly when the change that made it is.
 */
import { Limiter, limiterOwner, ruleBookOwner, type LimiterEffect, type LimiterStore } from "./limiter.js";
import { RuleBook, type RuleBookEffect, type RuleBookStore } from "./limit-rules.js";
import type { Delivery, GrantReply, LimiterDelivery } from "./messages.js";

export interface LimitHostPorts {
  /** Stores made on first use: an owner that never acts as one never creates its tables. */
  limiterStore(): LimiterStore;
  ruleBookStore(): RuleBookStore;
  /** Keeps `delivery` for `owner`, due at `at`. */
  enqueue(owner: string, delivery: Delivery, at: number): void;
  /** Deliveries due now were enqueued: deliver them. */
  deliverSoon(): void;
  /** A delivery is due at `at` (a limiter's wake-up): the owner must wake by then. */
  wakeBy(at: number): void;
}

export class LimitHost {
  #limiter: Limiter | undefined;
  #book: RuleBook | undefined;

  constructor(private readonly ports: LimitHostPorts) {}

  get limiter(): Limiter {
    return (this.#limiter ??= new Limiter(this.ports.limiterStore()));
  }

  get ruleBook(): RuleBook {
    return (this.#book ??= new RuleBook(this.ports.ruleBookStore()));
  }

  /** Applies a delivery; an acquire granted at once is answered with its grant instead of a delivery. */
  apply(d: LimiterDelivery, now: number): GrantReply | undefined {
    switch (d.kind) {
      case "acquire": {
        const effects = this.limiter.acquire({ invocationId: d.invocationId, owner: d.from, round: d.round, scope: d.scope, key: d.key, declared: d.declared }, now);
        const mine = effects.find((e) => e.type === "grant" && e.invocationId === d.invocationId && e.round === d.round);
        this.limiterEffects(d.owner, effects.filter((e) => e !== mine), now);
        return mine ? { kind: "granted", invocationId: d.invocationId, round: d.round, limiter: d.owner } : undefined;
      }
      case "release":
        return void this.limiterEffects(d.owner, this.limiter.release(d.invocationId, d.round, now), now);
      case "limiterTick":
        return void this.limiterEffects(d.owner, this.limiter.tick(now), now);
      case "limitRule":
        return void this.limiterEffects(d.owner, this.limiter.applyRule(d.rule, d.version, now), now);
      case "watchLimit":
        return void this.ruleBookEffects(d.scope, this.ruleBook.watch(d.key), now);
    }
  }

  /** The limiter `self`'s effects as deliveries: grants to owners, wake-ups to itself, a watch to the rule book. */
  limiterEffects(self: string, effects: readonly LimiterEffect[], now: number): void {
    let deliver = false;
    for (const e of effects) {
      if (e.type === "grant") {
        this.ports.enqueue(e.owner, { kind: "grant", owner: e.owner, invocationId: e.invocationId, round: e.round, limiter: self }, now);
        deliver = true;
      } else if (e.type === "wake") {
        // A delivery to itself, due at `at`: durable, and the owner's wake-ups follow its outbox.
        this.ports.enqueue(self, { kind: "limiterTick", owner: self, at: e.at }, e.at);
        this.ports.wakeBy(e.at);
      } else {
        const book = ruleBookOwner(e.scope);
        this.ports.enqueue(book, { kind: "watchLimit", owner: book, scope: e.scope, key: e.key }, now);
        deliver = true;
      }
    }
    if (deliver) this.ports.deliverSoon();
  }

  /** The rule book's effects as deliveries: each watching limiter is told its rule. */
  ruleBookEffects(scope: string, effects: readonly RuleBookEffect[], now: number): void {
    for (const e of effects) {
      const limiter = limiterOwner(scope, e.key);
      this.ports.enqueue(limiter, { kind: "limitRule", owner: limiter, rule: e.rule, version: e.version }, now);
    }
    if (effects.length > 0) this.ports.deliverSoon();
  }
}
