/**
 * Delivery of outbox rows to other objects (or this one), with retries.
 * Invariant: a row is deleted only after the receiver accepted it; receivers
 * de-duplicate, so redelivery after a crash is harmless (exactly-once effect).
 */
import type { Delivery, DeliveryReply } from "../engine/messages.js";
import type { Store } from "./store.js";

const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 30_000;

type Deliver = (deliveries: Delivery[]) => Promise<DeliveryReply[] | void>;

export class Outbox {
  #flushing: Promise<void> | undefined;
  #again = false;

  constructor(
    private readonly store: Store,
    private readonly namespace: DurableObjectNamespace,
    /** The name of the object that hosts an owner (workflow ids share shard objects). */
    private readonly objectNameOf: (owner: string) => string,
    private readonly now: () => number,
    private readonly deliverLocally: Deliver,
    /** The alarm must fire by `at` (a postponed delivery). */
    private readonly alarmBy: (at: number) => void,
    /** A receiver's answers to delivered rows (after they are deleted, in the same turn). */
    private readonly onReply: (reply: NonNullable<DeliveryReply>) => void = () => {},
  ) {}

  /** Delivers every due row; concurrent calls coalesce into one more pass. */
  flush(): Promise<void> {
    if (this.#flushing) {
      this.#again = true;
      return this.#flushing;
    }
    this.#flushing = this.#drain().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      const rows = this.store.dueOutbox(this.now());
      if (rows.length === 0) break;
      const byOwner = new Map<string, typeof rows>();
      for (const row of rows) byOwner.set(row.owner, [...(byOwner.get(row.owner) ?? []), row]);
      await Promise.all([...byOwner].map(([owner, batch]) => this.#send(owner, batch)));
    } while (this.#again);
  }

  async #send(owner: string, batch: { seq: number; delivery: Delivery; attempts: number }[]): Promise<void> {
    const seqs = batch.map((r) => r.seq);
    try {
      const replies = await this.#target(owner)(batch.map((r) => r.delivery));
      this.store.deleteOutbox(seqs);
      for (const reply of replies ?? []) if (reply) this.onReply(reply);
    } catch (error) {
      const attempts = Math.max(...batch.map((r) => r.attempts)) + 1;
      const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1));
      console.warn(JSON.stringify({ level: "warn", message: `delivery to ${owner} failed (attempt ${attempts}), retrying in ${delay} ms`, error: String(error) }));
      this.store.postponeOutbox(seqs, this.now() + delay);
      this.alarmBy(this.now() + delay);
    }
  }

  #target(owner: string): Deliver {
    const host = this.objectNameOf(owner);
    if (host === this.#ownName) return this.deliverLocally;
    const stub = this.namespace.get(this.namespace.idFromName(host)) as unknown as { deliver: Deliver };
    return (deliveries) => stub.deliver(deliveries);
  }

  #ownName: string | undefined;
  /** Learns this object's name from an owner it hosts: deliveries to itself then skip the RPC hop. */
  setOwner(owner: string): void {
    this.#ownName ??= this.objectNameOf(owner);
  }
}
