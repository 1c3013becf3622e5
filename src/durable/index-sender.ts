/**
 * Sends index rows to the index shards for every owner object in this isolate:
 * owners push their changed rows here, and one RPC per shard at most every
 * SPACING_MS carries all of them. Durable Objects of one class share an isolate
 * when they run in one process (locally: all of them; on Cloudflare: those that
 * happen to), so a burst over many keys costs a few RPCs, not one per key.
 * Each RPC is made from the context of a live owner that asked for the send
 * (no stub or promise crosses from one object's context into another's), and an
 * owner learns that its rows are durable by reading `acked`, never by awaiting.
 * Invariant: rows are never lost while the isolate lives: a failed or hung send
 * puts its rows back; and they are only values, so sending twice is harmless.
 */
import { modifiedOf, type IndexBatch, type IndexRow } from "./index-row.js";

/** Most often one shard is sent to. */
export const SPACING_MS = 100;
/** A send not answered by then is taken as lost (its object may have been evicted) and redone. */
const HUNG_MS = 10_000;
const RETRY_MS = 2_000;
/** Rows held for one shard at most; above, the oldest are dropped (their owners' marks stay behind, so a restart resends them). */
const MAX_PENDING = 50_000;

type Send = (shard: number, batch: IndexBatch) => Promise<void>;
/** A row to upsert, or null: deleted. */
type Change = IndexRow | null;

interface Ack {
  owner: string;
  /** Every change of `owner` before this time is in the batch. */
  cut: number;
}

interface Shard {
  pending: Map<string, Change>;
  acks: Ack[];
  inFlight?: { changes: Map<string, Change>; acks: Ack[]; since: number };
  /** Earliest time the next send may start. */
  notBefore: number;
}

export class IndexSender {
  readonly #shards = new Map<number, Shard>();
  readonly #acked = new Map<string, number>();
  /** When the armed timer should fire (in the context of the owner that armed it); undefined: none. */
  #timerAt: number | undefined;
  /** The latest caller's send: its object is the likeliest to be alive when the timer fires. */
  #latest: Send | undefined;

  /** Queues an owner's changes; `ack` (when the batch has all its changes up to a time) is recorded once they are durable. */
  push(shard: number, batch: IndexBatch, ack?: Ack): void {
    const s = this.#shard(shard);
    for (const row of batch.rows) merge(s.pending, String(row[0]), row);
    for (const id of batch.deleted) s.pending.set(id, null);
    if (ack) s.acks.push(ack);
    while (s.pending.size > MAX_PENDING) s.pending.delete(s.pending.keys().next().value!);
  }

  /** The latest time before which all of `owner`'s changes are durable in the index. */
  acked(owner: string): number | undefined {
    return this.#acked.get(owner);
  }

  /**
   * Sends what is due, from the caller's context; what must wait is sent by a timer armed
   * in the same context (one for the isolate; a timer lost with its evicted object is
   * replaced by the next kick).
   */
  kick(send: Send): void {
    this.#latest = send;
    const again = this.#sendDue(send);
    if (again === undefined) return;
    const now = Date.now();
    if (this.#timerAt !== undefined && now < this.#timerAt + HUNG_MS) return;
    this.#timerAt = now + again;
    setTimeout(() => {
      this.#timerAt = undefined;
      this.kick(this.#latest!);
    }, again);
  }

  /** Sends to every shard whose turn it is; returns in how many ms to look again (undefined: nothing waits). */
  #sendDue(send: Send): number | undefined {
    const now = Date.now();
    let again: number | undefined;
    for (const [n, s] of this.#shards) {
      if (s.inFlight && now - s.inFlight.since > HUNG_MS) this.#putBack(s, now - SPACING_MS);
      if (s.inFlight || (s.pending.size === 0 && s.acks.length === 0)) {
        if (s.inFlight) again = Math.min(again ?? Infinity, SPACING_MS);
        continue;
      }
      if (now < s.notBefore) {
        again = Math.min(again ?? Infinity, s.notBefore - now);
        continue;
      }
      this.#send(n, s, send, now);
    }
    return again;
  }

  #send(n: number, s: Shard, send: Send, now: number): void {
    const flight = { changes: s.pending, acks: s.acks, since: now };
    s.inFlight = flight;
    s.pending = new Map();
    s.acks = [];
    s.notBefore = now + SPACING_MS;
    const rows: IndexRow[] = [];
    const deleted: string[] = [];
    for (const [id, change] of flight.changes) change ? rows.push(change) : deleted.push(id);
    const done = rows.length || deleted.length ? send(n, { rows, deleted }) : Promise.resolve();
    done.then(
      () => {
        if (s.inFlight !== flight) return;
        s.inFlight = undefined;
        for (const { owner, cut } of flight.acks) this.#acked.set(owner, Math.max(cut, this.#acked.get(owner) ?? 0));
      },
      (error) => {
        if (s.inFlight !== flight) return;
        console.warn(JSON.stringify({ level: "warn", message: `invocation index: sending ${rows.length + deleted.length} rows to shard ${n} failed, retrying in ${RETRY_MS} ms`, error: String(error) }));
        this.#putBack(s, Date.now() + RETRY_MS - SPACING_MS);
      },
    );
  }

  /** An unanswered send's rows go back to pending (unless newer ones came since). */
  #putBack(s: Shard, now: number): void {
    const flight = s.inFlight!;
    s.inFlight = undefined;
    for (const [id, change] of flight.changes) if (!s.pending.has(id)) s.pending.set(id, change);
    s.acks.push(...flight.acks);
    s.notBefore = now + SPACING_MS;
  }

  #shard(n: number): Shard {
    let s = this.#shards.get(n);
    if (!s) this.#shards.set(n, (s = { pending: new Map(), acks: [], notBefore: 0 }));
    return s;
  }
}

/** Keeps the newer of two rows of one invocation (a deletion always wins: it came later). */
function merge(pending: Map<string, Change>, id: string, row: IndexRow): void {
  const seen = pending.get(id);
  if (seen && modifiedOf(seen) > modifiedOf(row)) return;
  pending.set(id, row);
}

/** The isolate's sender (one per isolate: module state). */
export const indexSender = new IndexSender();
