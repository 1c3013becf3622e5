/**
 * Delivery of outbox rows to other objects (or this one), with retries.
 * Invariant: a row is deleted only after the receiver accepted it; receivers
 * de-duplicate, so redelivery after a crash is harmless (exactly-once effect).
 * A call's row is sent asking for its answer in the response: when the callee
 * finishes soon, the row is deleted and the answer applied in one turn (one
 * commit), and the callee sends no reply; a caller that dies before that commit
 * still has its row, redelivers, and the callee's duplicate check answers with
 * the stored result. Each owner's rows travel on their own, one send at a time
 * (outbox order), so a callee that holds its response delays no one else's. An owner
 * whose delivery failed gets nothing more until that delivery's retry: its later rows
 * wait with it and travel behind it in one batch (a later send must not overtake it).
 */
import type { Delivery, DeliveryReply } from "../engine/messages.js";
import type { Completion } from "../engine/types.js";
import type { DeliverOptions } from "./protocol.js";
import type { Store } from "./store.js";

const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 30_000;
/** Rows read per pass (dueOutbox's limit): a pass that read this many looks again. */
const PASS_ROWS = 200;
/**
 * About the most bytes one owner's batch carries: workerd refuses an RPC over 32 MiB, and a
 * batch refused for its size was refused on every retry (adversary: 36 sends of 1 MB to one
 * key were never delivered). The rest of the owner's rows follow when the batch is through.
 */
export const BATCH_BYTES = 16 * 1024 * 1024;
/** What a row adds besides its payload, at most: ids, names, forwarded headers (32 KiB at most). */
const ROW_BYTES = 64 * 1024;

type Deliver = (deliveries: Delivery[], options: DeliverOptions) => Promise<DeliveryReply[] | void>;
type Row = { seq: number; delivery: Delivery; attempts: number };

export class Outbox {
  /**
   * Owners with a send on its way, and whether a pass found more of their rows meanwhile.
   * One RPC at a time per owner keeps an owner's deliveries in outbox order (a call held
   * open for its answer, then a send to the same key): calls on different stubs have no
   * ordering guarantee, and each send takes a new stub.
   */
  readonly #busy = new Map<string, boolean>();
  /** Owners whose delivery failed, and when it is retried: their later rows wait until then. */
  readonly #held = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly namespace: DurableObjectNamespace,
    /** The name of the object that hosts an owner (workflow ids share shard objects). */
    private readonly objectNameOf: (owner: string) => string,
    private readonly now: () => number,
    private readonly deliverLocally: Deliver,
    /** The alarm must fire by `at` (a postponed delivery). */
    private readonly alarmBy: (at: number) => void,
    /** A receiver's answer to a delivered row (after the rows are deleted, in the same turn: one commit). */
    private readonly onReply: (reply: NonNullable<DeliveryReply>, delivery: Delivery) => void = () => {},
  ) {}

  /**
   * Sends every due row of the owners with nothing on its way; the others' rows follow when
   * their send ends. Resolves when this pass's sends (and the passes they led to) have ended.
   */
  flush(): Promise<void> {
    const now = this.now();
    const rows = this.store.dueOutbox(now, PASS_ROWS);
    const byOwner = new Map<string, Row[]>();
    const held = new Map<number, number[]>();
    const bytes = new Map<string, number>();
    for (const row of rows) {
      const until = this.#held.get(row.owner);
      if (until !== undefined && until > now) {
        const seqs = held.get(until);
        if (seqs) seqs.push(row.seq);
        else held.set(until, [row.seq]);
        continue;
      }
      if (until !== undefined) this.#held.delete(row.owner);
      const size = (bytes.get(row.owner) ?? 0) + sizeOf(row.delivery);
      // A full batch: the owner's later rows wait for its send to end (as for a busy owner), never overtaking.
      if (this.#busy.has(row.owner) || (size > BATCH_BYTES && byOwner.has(row.owner))) this.#busy.set(row.owner, true);
      else {
        const batch = byOwner.get(row.owner);
        if (batch) batch.push(row);
        else byOwner.set(row.owner, [row]);
      }
      bytes.set(row.owner, size);
    }
    // Stored as due at their owner's retry, so the alarm does not fire for them before then.
    for (const [until, seqs] of held) this.store.delayOutbox(seqs, until, false);
    for (const owner of byOwner.keys()) this.#busy.set(owner, this.#busy.get(owner) ?? false);
    const sends = [...byOwner].map(([owner, batch]) => this.#send(owner, batch));
    // A full page that sent nothing new is rows already on their way: their sends look again.
    return Promise.all(sends).then(() => (rows.length === PASS_ROWS && sends.length > 0 ? this.flush() : undefined));
  }

  async #send(owner: string, batch: Row[]): Promise<void> {
    const seqs = batch.map((r) => r.seq);
    try {
      const replies = await this.#target(owner)(batch.map((r) => r.delivery), { answerCalls: true });
      this.#held.delete(owner);
      this.store.deleteOutbox(seqs);
      batch.forEach((row, i) => {
        const reply = replies?.[i];
        if (reply) this.onReply(reply, row.delivery);
      });
    } catch (error) {
      const attempts = Math.max(...batch.map((r) => r.attempts)) + 1;
      const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1));
      console.warn(JSON.stringify({ level: "warn", message: `delivery to ${owner} failed (attempt ${attempts}), retrying in ${delay} ms`, error: String(error) }));
      this.store.delayOutbox(seqs, this.now() + delay, true);
      this.#held.set(owner, this.now() + delay);
      this.alarmBy(this.now() + delay);
    }
    const more = this.#busy.get(owner);
    this.#busy.delete(owner);
    if (more) await this.flush();
  }

  /**
   * Delivers once, with no row and no retry (a failure is logged): for a message whose
   * receiver finds a lost one itself (a limit slot's release). It leaves when this turn's
   * writes are durable (the output gate), as every send does.
   */
  sendOnce(owner: string, delivery: Delivery): void {
    this.#target(owner)([delivery], {}).catch((error: unknown) => {
      console.warn(JSON.stringify({ level: "warn", message: `one-way delivery to ${owner} failed; its receiver recovers it`, error: String(error) }));
    });
  }

  #target(owner: string): Deliver {
    const host = this.objectNameOf(owner);
    if (host === this.#ownName) return this.deliverLocally;
    const stub = this.namespace.get(this.namespace.idFromName(host)) as unknown as { deliver: Deliver };
    return (deliveries, options) => stub.deliver(deliveries, options);
  }

  #ownName: string | undefined;
  /** Learns this object's name from an owner it hosts: deliveries to itself then skip the RPC hop. */
  setOwner(owner: string): void {
    this.#ownName ??= this.objectNameOf(owner);
  }
}

/** About the bytes a delivery serializes to: its payload (an input, a completion's value or failure) and ROW_BYTES. */
function sizeOf(d: Delivery): number {
  if (d.kind === "invoke") return d.request.input.byteLength + ROW_BYTES;
  return ROW_BYTES + (d.kind === "complete" || d.kind === "awakeable" ? completionBytes(d.completion) : 0);
}

/** About the bytes of a completion's value or failure in an RPC. */
export function completionBytes(completion: Completion): number {
  return "value" in completion ? (completion.value?.byteLength ?? 0) : JSON.stringify(completion.failure).length;
}
