/**
 * What invocations exchange with the outside and with each other: a request to
 * run one, the answers its callers get, and the deliveries between owners that
 * the lifecycle enqueues (each idempotent at the receiver). Plain structured-clone
 * data: the Durable Object carries it over RPC, the memory runtime between maps.
 */
import type { ErrorRecord } from "../../sdk/errors.js";
import type { Completion, OutgoingCall } from "./types.js";
import type { Limits } from "../../sdk/flow-control.js";
import type { RuleLimits } from "./limit-rules.js";

/** A new invocation, from ingress or from another handler's call/send (the call as journaled, addressed). */
export interface InvokeRequest extends Omit<OutgoingCall, "replyTo"> {
  /** The owner (see ids.ts) that runs it. */
  owner: string;
  /** Delay (ms) from arrival before it starts (delayed send from ingress: `?delay=`). */
  delayMs?: number;
  /** Where to deliver the result (request-response call between handlers). */
  replyTo?: Subscriber;
  /** Who started it, for observability: "ingress", "restart-as-new" or the caller's invocation id. */
  invokedBy: string;
}

/** An invocation waiting for another one's result: entry `index` of `invocationId`, run by `owner`. */
export interface Subscriber {
  owner: string;
  invocationId: string;
  index: number;
}

/** How an invocation ended, as ingress renders it. */
export type InvocationResult = (
  | { invocationId: string; ok: true; value: Uint8Array; contentType?: string }
  /** `retryAfterSeconds`: the ingress refused to wait for it (waiting-room.ts), not the invocation's failure. */
  | { invocationId: string; ok: false; error: ErrorRecord; retryAfterSeconds?: number }
) & {
  /** For idempotent invocations: when the stored result is forgotten (ms since epoch). */
  idempotencyExpiresAt?: number;
};

/** Answer to a one-way send: accepted (now, or earlier with the same id), or refused, and why. */
export type SendReceipt =
  | {
      invocationId: string;
      status: "Accepted" | "PreviouslyAccepted";
      /** RFC 3339 time a delayed send will start. */
      executionTime?: string;
    }
  /** Not accepted: its id is another request's (admission.ts); ingress answers this error instead. */
  | { invocationId: string; status: "Refused"; error: ErrorRecord };

/** Output lookup: done (with result, or the refusal to wait for it), not done yet, or unknown. */
export type OutputLookup = { state: "done"; result: InvocationResult } | { state: "pending"; invocationId: string } | { state: "unknown" };

/** Deliveries between owners; each is idempotent at the receiver. */
export type Delivery =
  | { kind: "invoke"; request: InvokeRequest }
  /**
   * A callee's result for entry `index` of `invocationId`, which must be a call or attach of
   * `calleeId` (absent only in deliveries stored before it was sent along).
   */
  | { kind: "complete"; owner: string; invocationId: string; index: number; completion: Completion; calleeId?: string }
  /**
   * A ctx.resolveAwakeable/rejectAwakeable: `secret`, from the awakeable's id, proves the right to
   * complete it (absent only in deliveries stored before ids had one: those are refused).
   */
  | { kind: "awakeable"; owner: string; invocationId: string; index: number; completion: Completion; secret?: string; traceparent?: string }
  | { kind: "subscribe"; owner: string; invocationId: string; subscriber: Subscriber }
  | { kind: "cancel"; owner: string; invocationId: string }
  | LimitDelivery;

/**
 * Messages of the limits (issue 15), between an invocation's owner, the limiter of its
 * limit scope and key (`owner` "limiter:…") and the scope's rule book ("limits:…").
 * Deduplicated by (invocation, round) at the limiter and by state at the owner.
 */
export type LimitDelivery =
  /** An invocation asks for a slot; `from`: its owner, where the grant goes. */
  | { kind: "acquire"; owner: string; scope: string; key: string; invocationId: string; round: number; from: string; declared: Limits }
  /** An invocation that asked ended (or paused): its slot or its place in the queue goes. */
  | { kind: "release"; owner: string; invocationId: string; round: number }
  /** To the invocation's owner: it may start. `limiter`: where to release. */
  | { kind: "grant"; owner: string; invocationId: string; round: number; limiter: string }
  /** A limiter's own wake-up (a rate window moves on), postponed in its outbox until `at`. */
  | { kind: "limiterTick"; owner: string; at: number }
  /** A limiter asks the rule book for its key's rule. */
  | { kind: "watchLimit"; owner: string; scope: string; key: string }
  /** The rule book tells a limiter its rule. */
  | { kind: "limitRule"; owner: string; rule: RuleLimits | null; version: number };

/** The deliveries a limiter or a rule book applies (a grant is the invocation owner's). */
export type LimiterDelivery = Exclude<LimitDelivery, { kind: "grant" }>;

export function isLimiterDelivery(delivery: Delivery): delivery is LimiterDelivery {
  return LIMITER_KINDS.has(delivery.kind);
}

const LIMITER_KINDS = new Set<Delivery["kind"]>(["acquire", "release", "limiterTick", "watchLimit", "limitRule"]);

/**
 * What a receiver may answer to a delivery, position by position (undefined: nothing).
 * A limiter answers an acquire it grants at once, saving the grant its own delivery; a
 * callee answers a call that finished soon with its completion, saving the reply's
 * (only when the sender asked for answers: see the durable side's call-answers.ts).
 */
export type DeliveryReply = GrantReply | { kind: "answered"; completion: Completion } | undefined;

/** A limiter's answer to an acquire it granted at once. */
export type GrantReply = { kind: "granted"; invocationId: string; round: number; limiter: string };

/** The owner a delivery is for. */
export function deliveryOwner(delivery: Delivery): string {
  return delivery.kind === "invoke" ? delivery.request.owner : delivery.owner;
}
