/**
 * The invocation owner's side of the limits (issue 15), one rule in one place: a
 * limited target's invocation asks its limiter for a slot where it would start
 * (status `ready`, after its key's lock), starts when the grant arrives, gives the
 * slot back when it pauses, and releases it when it ends in any way. Each ask is
 * kept in the store (which limiter, which round) until the invocation ends, so the
 * release goes where the ask went even if a deploy moved the limit meanwhile, and a
 * grant that matches no ask is given back at once.
 *
 * Invariant: every ask is followed by exactly one release of its round: the ask
 * commits with the status change, the release with the end (or the pause). The end's
 * release is sent once, after the end is durable, where the driver can (`sendOnce`): no
 * outbox row to delete, no crash wake-up to arm; one lost with a crash is found by the
 * limiter, which grants a long-held slot again when it is full and someone waits, and the
 * grant, matching no ask any more, is given back through the outbox (answerGrant). Pure:
 * storage through the lifecycle's store port.
 */
import { messageOf } from "../../sdk/errors.js";
import { LIMIT_KEY_HEADER } from "../../sdk/flow-control.js";
import { invocationOwner } from "./ids.js";
import { limiterOwner } from "./limiter.js";
import { STATUS, type InvocationRow, type InvocationStatus } from "./invocation-row.js";
import type { LifecycleStore } from "./lifecycle-store.js";
import type { LifecycleDriver } from "./lifecycle-driver.js";
import type { DeclaredLimit } from "./registry.js";
import type { Delivery } from "./messages.js";

/** Statuses in which an invocation holds no slot: starting one of them needs one first. */
export function holdsNoSlot(status: InvocationStatus): boolean {
  return status === STATUS.pending || status === STATUS.scheduled || status === STATUS.paused;
}

/**
 * Asks the limiter of `limit` under the invocation's limit key (its `x-restate-limit-key`
 * header) for a slot; the caller sets status `ready`. `fresh`: a new invocation, which
 * cannot have asked before (no read).
 */
function askForSlot(store: LifecycleStore, row: InvocationRow, limit: DeclaredLimit, now: number, fresh: boolean): void {
  const key = row.headers[LIMIT_KEY_HEADER] ?? "";
  const limiter = limiterOwner(limit.scope, key);
  // Rounds grow per invocation id: the time of the ask, past any earlier round of the same id.
  const round = Math.max(now, (fresh ? -1 : (store.slot(row.id)?.round ?? -1)) + 1);
  store.saveSlot(row.id, { limiter, round });
  const from = invocationOwner(row.id)!;
  store.enqueue(limiter, { kind: "acquire", owner: limiter, scope: limit.scope, key, invocationId: row.id, round, from, declared: limit.limits }, now);
}

/** Pausing: the slot (or the place in the queue) goes back; the ask's round is kept. Whether it sent a release. */
function giveBackSlot(store: LifecycleStore, id: string, now: number): boolean {
  const slot = store.slot(id);
  if (slot) release(store, slot.limiter, id, slot.round, now);
  return slot !== undefined;
}

/** The invocation ended: its ask goes, and its slot unless it was given back already. Whether it enqueued a release. */
function endSlot(h: SlotHost, id: string, givenBack: boolean, now: number): boolean {
  const slot = h.store.takeSlot(id);
  if (!slot || givenBack) return false;
  const sendOnce = h.driver.sendOnce;
  if (!sendOnce) return release(h.store, slot.limiter, id, slot.round, now), true;
  // Only once the end commits: one rolled back (its slot row back) sends nothing, the slot still held.
  h.store.afterCommit(() => {
    try {
      sendOnce(slot.limiter, releaseOf(slot.limiter, id, slot.round));
    } catch (error) {
      logUnreleased(h, id, error);
    }
  });
  return false;
}

/**
 * A grant arrived: "start" when the invocation still waits for exactly this grant,
 * "duplicate" when it already started on it, else the slot is given back at once
 * ("released": the invocation ended, paused or asked again since).
 */
export function answerGrant(store: LifecycleStore, row: InvocationRow | undefined, grant: { invocationId: string; round: number; limiter: string }, now: number): "start" | "duplicate" | "released" {
  const slot = row && store.slot(row.id);
  const matches = slot?.round === grant.round && slot.limiter === grant.limiter;
  if (matches && row!.status === STATUS.ready) return "start";
  if (matches && (row!.status === STATUS.running || row!.status === STATUS.backingOff)) return "duplicate";
  release(store, grant.limiter, grant.invocationId, grant.round, now);
  return "released";
}

function releaseOf(limiter: string, invocationId: string, round: number): Delivery {
  return { kind: "release", owner: limiter, invocationId, round };
}

function release(store: LifecycleStore, limiter: string, invocationId: string, round: number, now: number): void {
  store.enqueue(limiter, releaseOf(limiter, invocationId, round), now);
}

/** What the lifecycle's limit steps need: its store, its driver, and its status writes (which feed the index). */
export interface SlotHost {
  store: LifecycleStore;
  driver: Pick<LifecycleDriver, "now" | "deliverSoon" | "log" | "sendOnce">;
  setStatus(id: string, status: InvocationStatus): void;
}

/** The invocation waits for a slot (status `ready`): the ask commits with the status. */
export function waitForSlot(h: SlotHost, row: InvocationRow, limit: DeclaredLimit, fresh: boolean): void {
  h.store.transaction(() => {
    if (row.status !== STATUS.ready) h.setStatus(row.id, STATUS.ready);
    askForSlot(h.store, row, limit, h.driver.now(), fresh);
  });
  h.driver.deliverSoon();
}

/** A paused invocation runs nothing: its slot goes back. */
export function pausedSlot(h: SlotHost, id: string): void {
  if (giveBackSlot(h.store, id, h.driver.now())) h.driver.deliverSoon();
}

/** Finishing never throws: a release that cannot be written is logged, loudly. Whether one waits in the outbox. */
export function finishedSlot(h: SlotHost, id: string, givenBack: boolean, now: number): boolean {
  try {
    return endSlot(h, id, givenBack, now);
  } catch (error) {
    logUnreleased(h, id, error);
    return false;
  }
}

function logUnreleased(h: SlotHost, id: string, error: unknown): void {
  h.driver.log("error", id, [`its limit slot could not be released (${messageOf(error)}): its limiter counts it until the limiter is told otherwise`]);
}
