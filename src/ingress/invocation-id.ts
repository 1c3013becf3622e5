/**
 * The invocation id of a request arriving at ingress, and the Durable Object
 * (owner) it lives in. With an idempotency key the id is derived, so a retry
 * lands on the same object with the same id (and latches on or gets the stored
 * result); without one it is random.
 */
import { addressOf, idempotentInvocationId, isKnownOwner, targetKindsOf, type TargetKinds } from "../engine/addressing.js";
import { invocationOwner, makeInvocationId } from "../engine/ids.js";
import { isRestateInvocationId } from "../engine/restate-id.js";
import { IngressError } from "./responses.js";
import { echo } from "./limits.js";
import type { Registry } from "../engine/registry.js";
import type { Target } from "../engine/types.js";

export interface InvocationAddress {
  owner: string;
  invocationId: string;
}

/** The addressing view of a registry. */
export function targetKinds(registry: Registry, serviceShards: number): TargetKinds {
  if (!Number.isInteger(serviceShards) || serviceShards < 1) {
    throw new TypeError(`serviceShards must be a positive integer, got ${serviceShards}`);
  }
  return targetKindsOf(registry, serviceShards);
}

/**
 * Owner and id of an invocation of `target`.
 *
 * - workflow `run`: the fixed suffix (one run per workflow id);
 * - with an idempotency key: derived from target + key, computed exactly as
 *   the engine does for a call/send with an idempotency key (context-impl.ts),
 *   so ingress and handlers agree on the id of the same idempotent request;
 * - otherwise: a random suffix, which also picks the service shard.
 */
export function invocationIdFor(
  kinds: TargetKinds,
  target: Target,
  idempotencyKey?: string,
  randomSuffix: () => string = newRandomSuffix,
): InvocationAddress {
  if (idempotencyKey !== undefined) return idempotentInvocationId(kinds, target, idempotencyKey);
  const random = randomSuffix();
  const { owner, fixedSuffix } = addressOf(kinds, target, random);
  return { owner, invocationId: makeInvocationId(owner, fixedSuffix ?? random) };
}


/**
 * The owner named by an invocation id; 400 `bad invocation id` (Restate's
 * answer) when it is not one, so that nothing is looked up for it.
 */
export function ownerOfInvocationId(id: string): string {
  const owner = invocationOwner(id);
  if (owner !== undefined) return owner;
  if (isRestateInvocationId(id)) {
    throw new IngressError(
      400,
      `bad invocation id ${echo(id)}: it is in Restate's format, an alias of an invocation id as Restate's CLI shows them, which only the admin API takes; ` +
        `use the id from the x-restate-id header (GET /restate/admin/invocations/<alias> gives it as "id")`,
    );
  }
  throw new IngressError(400, `bad invocation id ${echo(id)}: bad format (use the id from the x-restate-id header, inv_1…)`);
}

/**
 * The owner of invocation id `id` when an invocation issued here could live there (isKnownOwner);
 * undefined for what is no id of ours or names an impossible owner (a forged id: answered as an
 * unknown one, without waking, and so creating, an object for it). Every path that turns an id
 * into a stub goes through here (ownerOfInvocationId then says why a route's id is no id: 400).
 */
export function knownOwnerOf(kinds: TargetKinds, id: string): string | undefined {
  const owner = invocationOwner(id);
  return owner !== undefined && isKnownOwner(kinds, owner) ? owner : undefined;
}

/**
 * 32 hex characters: the time in ms (12), then 80 random bits (20). An object's ids then
 * sort by arrival, as Restate's ULIDs do, so a new invocation's id goes to the end of the
 * object's id index: on a hot key a commit writes one page of it, not one per invocation
 * at random (issue 14: 21 KB written per W3 call on a hot key, growing with its invocations, against 13).
 */
export function newRandomSuffix(): string {
  // A v4 UUID's first 8 and last 12 hex digits are all random (its version and variant digits
  // sit between): one native call instead of random bytes turned into hex one by one.
  const uuid = crypto.randomUUID();
  return Date.now().toString(16).padStart(12, "0") + uuid.slice(0, 8) + uuid.slice(24);
}
