/**
 * How an invocation enters its owner host, the first rule of its life (lifecycle.ts runs
 * the rest): stored once per id (a duplicate finds the first: an idempotency key, a
 * redelivery, a workflow id), given its first status (scheduled for later, pending behind
 * the key's lock, ready to ask a limit for its slot, or running) and started at once when
 * it may run. An input too large to store, or an unknown handler, completes at once.
 * Hot path: a fresh invocation's row and journal are the ones just written.
 */
import { TerminalError, errorToRecord, type ErrorRecord } from "../../sdk/errors.js";
import { terminalFailure } from "./completions.js";
import { isWorkflowRunId, targetName, type TargetKinds } from "./addressing.js";
import type { Callers } from "./callers.js";
import { STATUS, newRow, type InvocationRow } from "./invocation-row.js";
import type { KeyLock } from "./key-lock.js";
import type { LifecycleDriver } from "./lifecycle-driver.js";
import type { LifecycleStore } from "./lifecycle-store.js";
import { oversizeInvocation } from "./limits.js";
import type { InvokeRequest, Subscriber } from "./messages.js";
import type { DeclaredLimit, HandlerSpec, Registry } from "./registry.js";
import type { Completion, Entry } from "./types.js";

/** What a request by target and idempotency key expects of the row its id names (sameRequest). */
export type LookupExpectation = Pick<InvokeRequest, "target" | "idempotencyKey">;

/** What `admit` did: the row (new, or the one with that id), and whether ingress must refuse the repeat. */
export interface Admission {
  row: InvocationRow;
  fresh: boolean;
  /** A workflow's run requested again without an idempotency key: refused (409), as Restate does. */
  refused?: ErrorRecord;
  /** The id is another request's (a collision of idempotent ids): refused (409), the other's answer withheld. */
  conflict?: ErrorRecord;
}

/** What an admission needs from the lifecycle it serves. */
export interface AdmissionHost {
  store: LifecycleStore;
  driver: LifecycleDriver;
  config: { registry: Registry; kinds: TargetKinds };
  lock: KeyLock;
  callers: Callers;
  /** How an invocation just stored goes on. */
  next: AdmissionSteps;
}

/** The lifecycle's steps after an admission. */
export interface AdmissionSteps {
  /** Runs its first attempt: its row and journal are the ones just written. */
  run(row: InvocationRow, spec: HandlerSpec, journal: readonly Entry[]): void;
  /** Asks for its limit slot (it cannot have asked before). */
  askSlot(row: InvocationRow, limit: DeclaredLimit): void;
  /** It starts later (its lock, its time, its slot), with an empty journal: that start reads nothing back. */
  startsLater(id: string): void;
  /** Completes it at once (lifecycle.ts's finish). */
  finish(row: InvocationRow, result: Completion): void;
}

/**
 * Stores a new invocation and starts it if it may run now; for a duplicate id returns the
 * existing row instead. `journal`: completed entries it starts with (restart-as-new),
 * replayed rather than run.
 */
export function admit(host: AdmissionHost, req: InvokeRequest, subscriber?: Subscriber, journal: readonly Entry[] = []): Admission {
  const { store, driver, lock, next } = host;
  const id = req.invocationId;
  const spec = host.config.registry.handler(req.target.service, req.target.handler);
  const exclusive = spec?.kind === "exclusive";
  const now = driver.now();
  // An input that can never be stored is answered at once: the row keeps neither input nor headers.
  const tooLarge = oversizeInvocation(req);
  const startAt = req.notBefore ?? (req.delayMs ? now + req.delayMs : undefined);
  const nextAt = !tooLarge && startAt !== undefined && startAt > now ? startAt : null;
  const queued = exclusive && !tooLarge && lock.holder !== null;
  // A limited target's invocation asks for a slot where it would start: after the key's lock.
  const ready = spec?.limit !== undefined && !tooLarge;
  const status = nextAt !== null ? STATUS.scheduled : queued ? STATUS.pending : ready ? STATUS.ready : STATUS.running;
  const stored = tooLarge ? { ...req, input: new Uint8Array(0), headers: {} } : req;
  const seq = store.insertInvocation(stored, exclusive, status, nextAt, now);
  if (seq === undefined) return duplicate(store, host.config.kinds, req);
  driver.rowChanged?.(id, false);
  host.callers.admitted(id, subscriber);
  const row = newRow(seq, stored, exclusive, status, nextAt, now);
  if (!spec || tooLarge) {
    next.finish(row, tooLarge ? { failure: errorToRecord(tooLarge) } : terminalFailure(`service '${req.target.service}' has no handler '${req.target.handler}'`, 404));
    return { row: store.invocation(id)!, fresh: true };
  }
  for (const entry of journal) store.appendEntry(id, entry, now);
  if (status === STATUS.running) {
    if (exclusive) lock.acquire(id);
    next.run(row, spec, journal);
    return { row, fresh: true };
  }
  if (status === STATUS.ready) {
    if (exclusive) lock.acquire(id);
    next.askSlot(row, spec.limit!);
  } else if (status === STATUS.pending) lock.queued(row);
  else driver.wakeBy(nextAt!);
  if (journal.length === 0) next.startsLater(id);
  return { row, fresh: true };
}

function duplicate(store: LifecycleStore, kinds: TargetKinds, req: InvokeRequest): Admission {
  const row = store.invocation(req.invocationId)!;
  if (!sameRequest(row, req)) return { row, fresh: false, conflict: errorToRecord(collision(req)) };
  const run = !req.idempotencyKey && req.target.handler === "run" && isWorkflowRunId(req.invocationId);
  if (!run || kinds.kindOf(req.target.service) !== "workflow") return { row, fresh: false };
  return { row, fresh: false, refused: errorToRecord(new TerminalError("the workflow method was already invoked", { errorCode: 409 })) };
}

/**
 * Whether `row` is what `req` asks for: the same target and idempotency key. An idempotent id
 * is a hash of them (ids.ts: two 53-bit cyrb53 hashes, not cryptographic), so a request crafted
 * to collide would otherwise be handed another request's stored answer. A workflow's run has
 * one id per workflow id whatever its idempotency key (addressing.ts): its target must match.
 */
export function sameRequest(row: InvocationRow, req: LookupExpectation): boolean {
  const { service, handler, key } = req.target;
  if (row.service !== service || row.handler !== handler || row.key !== (key ?? null)) return false;
  return isWorkflowRunId(row.id) || row.idempotencyKey === (req.idempotencyKey ?? null);
}

function collision(req: InvokeRequest): TerminalError {
  return new TerminalError(
    `invocation id '${req.invocationId}' (${targetName(req.target)}${req.idempotencyKey !== undefined ? ", with this idempotency key" : ""}) belongs to ` +
      `another request, with another target or idempotency key: the hashes that make idempotent ids collide. Nothing was ` +
      `started and the other request's answer is withheld; send this request with another idempotency key`,
    { errorCode: 409 },
  );
}
