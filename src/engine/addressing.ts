/**
 * Where an invocation of a target lives: the owner (Durable Object name) and,
 * for a workflow's `run`, the fixed id suffix that makes it at-most-once. Pure.
 */
import { derivedSuffix, hash53, invocationOwner, makeInvocationId, ownerName, parseOwnerName } from "./ids.js";
import type { Target } from "./types.js";

/** What the addressing needs to know about services. */
export interface TargetKinds {
  kindOf(service: string): "service" | "object" | "workflow" | undefined;
  /** How many executor objects stateless services are spread over. */
  readonly serviceShards: number;
  /** Whether a handler's request-response call to `target` runs beside its caller (runsWithCaller). @default never */
  runsWithCaller?(target: Target): boolean;
}

/** What addressing reads of a registry (registry.ts's Registry). */
interface ServiceLookup {
  service(name: string): { kind: "service" | "object" | "workflow" } | undefined;
  handler(service: string, handler: string): { limit?: unknown } | undefined;
}

/** The addressing view of a registry: its services' kinds, and which calls run beside their callers. */
export function targetKindsOf(registry: ServiceLookup, serviceShards: number): TargetKinds {
  return { kindOf: (name) => registry.service(name)?.kind, serviceShards, runsWithCaller: (target) => runsWithCaller(registry, target) };
}

/**
 * Whether a handler's request-response call to `target` (awaited by its caller, no idempotency
 * key) runs in the caller's own owner instead of on an executor shard (issue 14): a stateless
 * service's handler with no concurrency or rate limit. It has no state and takes no lock, so
 * nothing orders it with the shard's other invocations; beside its caller, its row is written
 * with the caller's call entry and its result applied to the caller in the same object (no
 * outbox row, no RPC, one commit for the lot when it finishes in the turn). A limited handler's
 * slot is asked for where its invocations live, and stays on the shards (issue 15). Ingress
 * calls, one-way and delayed sends and idempotent calls never ask: their ids land on the shards.
 */
function runsWithCaller(registry: ServiceLookup, target: Target): boolean {
  if (registry.service(target.service)?.kind !== "service") return false;
  const spec = registry.handler(target.service, target.handler);
  return spec !== undefined && spec.limit === undefined;
}

/** The id suffix of a workflow's `run` invocation: one per workflow id. */
export const WORKFLOW_RUN_SUFFIX = "run";

/** Whether `invocationId` is a workflow's `run` (its fixed suffix). */
export const isWorkflowRunId = (invocationId: string): boolean => invocationId.endsWith(`.${WORKFLOW_RUN_SUFFIX}`);

/**
 * The scope of the state and promises an invocation of `service` on `key` sees: the workflow
 * id in a workflow (a workflow shard hosts many), "" for a virtual object's own key.
 */
export function stateScope(kinds: TargetKinds, service: string, key: string | null | undefined): string {
  return key != null && kinds.kindOf(service) === "workflow" ? key : "";
}

/**
 * Where a handler's request-response call to `target` without an idempotency key lives: in
 * `callerOwner`, its caller's owner, when runsWithCaller says so, else where addressOf puts it.
 * The caller passes no owner while another of its callees beside it is still in flight
 * (beside-calls.ts): an owner is one thread, so a fan-out keeps its first callee there and
 * spreads the rest over the shards, where they run in parallel (issue 14).
 */
export function callAddress(kinds: TargetKinds, target: Target, shardSeed: string, callerOwner: string | undefined): { owner: string; fixedSuffix?: string } {
  if (callerOwner !== undefined && kinds.runsWithCaller?.(target)) return { owner: callerOwner };
  return addressOf(kinds, target, shardSeed);
}

/**
 * Whether `calleeId`, the callee of `callerId`'s request-response call to `target`, lives beside
 * its caller: a keyless target whose id names the caller's own owner (callAddress put it there).
 */
export function livesBeside(callerId: string, calleeId: string, target: Target): boolean {
  return target.key === undefined && invocationOwner(calleeId) === invocationOwner(callerId);
}

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

const OWNER_KIND = { service: "s", object: "o", workflow: "w" } as const;

/**
 * The owner of `service`'s `key` (an object key, a workflow id, a stateless service's shard
 * number) when it could hold invocations (isKnownOwner); undefined for no such service, or a
 * service key that is none of its shards (answered without waking, and so creating, an object).
 */
export function knownOwnerOfKey(kinds: TargetKinds, service: string, key: string): string | undefined {
  const kind = kinds.kindOf(service);
  const owner = kind && ownerName(OWNER_KIND[kind], service, key);
  return owner !== undefined && isKnownOwner(kinds, owner) ? owner : undefined;
}

/**
 * Whether an owner named in an id could hold invocations: its service exists with that
 * kind and, for a service, its shard is one of the executor objects. An id that fails this
 * was not issued here, and is answered without waking (and so creating) an object for it.
 */
export function isKnownOwner(kinds: TargetKinds, owner: string): boolean {
  const parsed = parseOwnerName(owner);
  const kind = parsed && kinds.kindOf(parsed.service);
  if (!parsed || !kind || OWNER_KIND[kind] !== parsed.kind) return false;
  return kind !== "service" || String(Number(parsed.key)) === parsed.key && Number(parsed.key) < kinds.serviceShards && Number(parsed.key) >= 0;
}

/** `svc/handler` or `obj/objKey/handler`: a target as Restate writes it (journal names, logs, spans). */
export function targetName(target: Target): string {
  return target.key === undefined ? `${target.service}/${target.handler}` : `${target.service}/${target.key}/${target.handler}`;
}

/** `svc/handler@key` or `obj/objKey/handler@key`: what an idempotency key is scoped to. */
export function idempotencyScope(target: Target, idempotencyKey: string): string {
  return `${targetName(target)}@${idempotencyKey}`;
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

/**
 * The name of the Durable Object that hosts `owner`. Workflow ids share
 * `workflowShards` objects per workflow (picked by a hash of the id): one
 * object per workflow would pay a first touch (a new SQLite database, ~5 ms
 * locally) for every workflow, and one workerd runs out of SQLite memory after
 * a few thousand objects. Object keys and service shards are hosted by the
 * object of their own name; 0 workflow shards means one object per workflow id.
 * Changing the shard count moves workflow ids: set it before the first deploy.
 */
export const DEFAULT_WORKFLOW_SHARDS = 64;

/** The name of the Durable Object that hosts `owner` (see DEFAULT_WORKFLOW_SHARDS). */
export function objectNameOf(owner: string, workflowShards: number): string {
  if (workflowShards === 0 || !owner.startsWith("w:")) return owner;
  const { service, key } = parseOwnerName(owner)!;
  return `wf-shard:${service}:${hash53(key) % workflowShards}`;
}
