/**
 * Where an invocation of a target lives: the owner (Durable Object name) and,
 * for a workflow's `run`, the fixed id suffix that makes it at-most-once. Pure.
 */
import { derivedSuffix, hash53, makeInvocationId, ownerName } from "./ids.js";
import type { Target } from "./types.js";

/** What the addressing needs to know about services. */
export interface TargetKinds {
  kindOf(service: string): "service" | "object" | "workflow" | undefined;
  /** How many executor objects stateless services are spread over. */
  readonly serviceShards: number;
}

/** The id suffix of a workflow's `run` invocation: one per workflow id. */
export const WORKFLOW_RUN_SUFFIX = "run";

export function addressOf(kinds: TargetKinds, target: Target, shardSeed: string): { owner: string; fixedSuffix?: string } {
  const kind = kinds.kindOf(target.service);
  if (kind === "object") return { owner: ownerName("o", target.service, target.key ?? "") };
  if (kind === "workflow") {
    const owner = ownerName("w", target.service, target.key ?? "");
    return target.handler === "run" ? { owner, fixedSuffix: WORKFLOW_RUN_SUFFIX } : { owner };
  }
  // Unknown services are addressed like services: the owner answers 404 for them.
  const shard = hash53(shardSeed) % kinds.serviceShards;
  return { owner: ownerName("s", target.service, String(shard)) };
}

/** `svc/handler@key` or `obj/objKey/handler@key`: what an idempotency key is scoped to. */
export function idempotencyScope(target: Target, idempotencyKey: string): string {
  const name = target.key === undefined ? `${target.service}/${target.handler}` : `${target.service}/${target.key}/${target.handler}`;
  return `${name}@${idempotencyKey}`;
}

/**
 * The id of an idempotent invocation: derived from target + key, so the same
 * request from ingress or from a handler lands on the same object with the same id.
 */
export function idempotentInvocationId(kinds: TargetKinds, target: Target, idempotencyKey: string): { owner: string; invocationId: string } {
  const scope = idempotencyScope(target, idempotencyKey);
  const { owner, fixedSuffix } = addressOf(kinds, target, scope);
  return { owner, invocationId: makeInvocationId(owner, fixedSuffix ?? derivedSuffix(scope, 0)) };
}
