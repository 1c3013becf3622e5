/**
 * Sends index rows to the index shards for every owner object in this isolate.
 * Owners stage their changed rows here at the end of each turn; a timer (one for
 * the isolate) sends, at most every SPACING_MS, one RPC per shard carrying every
 * owner's rows staged at least SETTLE_MS earlier. Durable Objects of one class
 * share an isolate when they run in one process (locally: all of them; on
 * Cloudflare: those that happen to), so a burst over many keys costs a few RPCs.
 *
 * Why not send from the owner's own turn: an outgoing message (or storage.sync())
 * in the middle of a turn makes the object commit what it wrote so far, and the
 * rest of the turn then commits again: two fsyncs for one request (measured with
 * strace). Rows staged SETTLE_MS earlier belong to turns whose commits are done
 * (a commit takes a few ms); the residual case, a commit slower than SETTLE_MS that
 * then fails, could index a change that never happened.
 *
 * The RPC is made from the context of the owner whose timer fires (the latest one
 * to stage), with a stub made there; owners learn that their rows are durable by
 * reading `acked`, never by awaiting across objects.
 * Invariant: rows are not lost while the isolate lives: a failed or hung send puts
 * its rows back; they are only values, so sending twice is harmless.
 */
import { modifiedOf, type IndexBatch, type IndexRow } from "./index-row.js";

/** Most often one shard is sent to. */
export const SPACING_MS = 100;
/** How old a staged row must be before it is sent (its owner's commit is done by then). */
export const SETTLE_MS = 50;
/** A send not answered by then is taken as lost (its object may have been evicted) and redone. */
const HUNG_MS = 10_000;
/**
 * A timer this far past its due time is late. Under sustained load workerd runs timers
 * seconds late, every owner's alike, while requests keep being served (seen under
 * `bench/index-lag.ts`, 64 clients over 1,000 keys: about one run in three had every timer
 * of the isolate fire 3–5 s late at once, holding all rows back). So a late timer is
 * replaced by the next wake (in case only its owner stalled), and an owner's request
 * that starts while the timer is late sends what is due itself (`kick`).
 */
const LATE_MS = 2 * SPACING_MS;
const RETRY_MS = 500;
/** Rows held for one shard at most; above, the oldest are dropped (their owners' marks stay behind, so a restart resends them). */
const MAX_PENDING = 50_000;

export type Send = (shard: number, batch: IndexBatch) => Promise<void>;
/** A row to upsert, or null: deleted; with when it was staged. */
type Change = { row: IndexRow | null; at: number };

interface Ack {
  owner: string;
  /** Every change of `owner` before this time (its clock) is in the batch. */
  cut: number;
}

interface Shard {
  pending: Map<string, Change>;
  acks: (Ack & { at: number })[];
  inFlight?: { changes: Map<string, Change>; acks: (Ack & { at: number })[]; since: number };
  /** Earliest time the next send may start. */
  notBefore: number;
}

export class IndexSender {
  readonly #shards = new Map<number, Shard>();
  readonly #acked = new Map<string, number>();
  #timer = false;
  /** When the armed timer was due; a timer late by LATE_MS (or lost with its evicted object) is replaced by the next wake. */
  #timerAt = 0;
  /** The latest caller's send: its object is the likeliest to be alive when the timer fires. */
  #latest: Send | undefined;

  /** Stages an owner's changes; `ack` (when the batch has all its changes up to a time) is recorded once they are durable. */
  push(shard: number, batch: IndexBatch, ack?: Ack): void {
    const s = this.#shard(shard);
    const at = Date.now();
    for (const row of batch.rows) merge(s.pending, String(row[0]), { row, at });
    for (const id of batch.deleted) {
      s.pending.delete(id);
      s.pending.set(id, { row: null, at });
    }
    if (ack) s.acks.push({ ...ack, at });
    while (s.pending.size > MAX_PENDING) s.pending.delete(s.pending.keys().next().value!);
  }

  /** Whether `id`'s latest change waits here unsent (a newer one replaces it, so none of it reaches the index). */
  holds(shard: number, id: string): boolean {
    return this.#shards.get(shard)?.pending.has(id) ?? false;
  }

  /** The latest time before which all of `owner`'s changes are durable in the index. */
  acked(owner: string): number | undefined {
    return this.#acked.get(owner);
  }

  /** Makes sure a timer will send what is staged (armed in the caller's context; never sends from it). */
  wake(send: Send): void {
    this.#latest = send;
    this.#arm(SETTLE_MS);
  }

  /**
   * Called at the very start of an owner's request, before it writes anything: if the
   * timer is late, what is due is sent now, from this context. An outgoing call before
   * the turn's first write adds no commit (the one the request makes comes after it).
   */
  kick(send: Send): void {
    if (!this.#timer || Date.now() < this.#timerAt + LATE_MS) return;
    this.#latest = send;
    this.#sendDue(send);
  }

  #arm(ms: number): void {
    const now = Date.now();
    if (this.#timer && now < this.#timerAt + LATE_MS) return;
    this.#timer = true;
    const at = (this.#timerAt = now + ms);
    setTimeout(() => {
      // A late timer replaced by a newer one only sends: the newer one keeps the schedule.
      const current = this.#timerAt === at;
      if (current) this.#timer = false;
      const again = this.#sendDue(this.#latest!);
      if (current && again !== undefined) this.#arm(again);
    }, ms);
  }

  /** Sends to every shard whose turn it is; returns in how many ms to look again (undefined: nothing waits). */
  #sendDue(send: Send): number | undefined {
    const now = Date.now();
    let again: number | undefined;
    for (const [n, s] of this.#shards) {
      if (s.inFlight && now - s.inFlight.since > HUNG_MS) this.#putBack(s, now - SPACING_MS);
      if (!s.inFlight && now >= s.notBefore && oldest(s) <= now - SETTLE_MS) this.#send(n, s, send, now, now - SETTLE_MS);
      const wait = s.inFlight ? SPACING_MS : oldest(s) === Infinity ? undefined : Math.max(s.notBefore - now, oldest(s) + SETTLE_MS - now, 1);
      if (wait !== undefined) again = Math.min(again ?? Infinity, wait);
    }
    return again;
  }

  #send(n: number, s: Shard, send: Send, now: number, settled: number): void {
    const changes = new Map<string, Change>();
    for (const [id, change] of s.pending) {
      if (change.at > settled) break; // staged in order: the rest are newer
      changes.set(id, change);
    }
    for (const id of changes.keys()) s.pending.delete(id);
    const acks = s.acks.filter((a) => a.at <= settled);
    s.acks = s.acks.filter((a) => a.at > settled);
    const flight = { changes, acks, since: now };
    s.inFlight = flight;
    s.notBefore = now + SPACING_MS;
    const rows: IndexRow[] = [];
    const deleted: string[] = [];
    for (const [id, { row }] of changes) row ? rows.push(row) : deleted.push(id);
    const done = rows.length || deleted.length ? send(n, { rows, deleted }) : Promise.resolve();
    done.then(
      () => {
        if (s.inFlight !== flight) return;
        s.inFlight = undefined;
        for (const { owner, cut } of acks) this.#acked.set(owner, Math.max(cut, this.#acked.get(owner) ?? 0));
      },
      (error) => {
        if (s.inFlight !== flight) return;
        console.warn(JSON.stringify({ level: "warn", message: `invocation index: sending ${rows.length + deleted.length} rows to shard ${n} failed, retrying in ${RETRY_MS} ms`, error: String(error) }));
        this.#putBack(s, Date.now() + RETRY_MS - SPACING_MS);
        this.#arm(RETRY_MS);
      },
    );
  }

  /** An unanswered send's rows go back to pending (unless newer ones came since), oldest first. */
  #putBack(s: Shard, now: number): void {
    const flight = s.inFlight!;
    s.inFlight = undefined;
    const newer = s.pending;
    s.pending = new Map(flight.changes);
    for (const [id, change] of newer) s.pending.set(id, change);
    s.acks = [...flight.acks, ...s.acks];
    s.notBefore = now + SPACING_MS;
  }

  #shard(n: number): Shard {
    let s = this.#shards.get(n);
    if (!s) this.#shards.set(n, (s = { pending: new Map(), acks: [], notBefore: 0 }));
    return s;
  }
}

/** When the oldest staged change or ack of a shard was staged (Infinity: none). */
function oldest(s: Shard): number {
  const first = s.pending.values().next().value;
  return Math.min(first?.at ?? Infinity, s.acks[0]?.at ?? Infinity);
}

/**
 * Keeps the newer of two rows of one invocation (a deletion always wins: it came later),
 * moved to the end: pending stays in staging order.
 */
function merge(pending: Map<string, Change>, id: string, change: Change): void {
  const seen = pending.get(id);
  if (seen?.row && change.row && modifiedOf(seen.row) > modifiedOf(change.row)) return;
  pending.delete(id);
  pending.set(id, change);
}

/** The isolate's sender (one per isolate: module state). */
export const indexSender = new IndexSender();
