/**
 * What invocations exchange with the outside and with each other: a request to
 * run one, the answers its callers get, and the deliveries between owners that
 * the lifecycle enqueues (each idempotent at the receiver). Plain structured-clone
 * data: the Durable Object carries it over RPC, the memory runtime between maps.
 */
import type { ErrorRecord } from "../../sdk/errors.js";
import type { Completion, OutgoingCall } from "./types.js";

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
  | { invocationId: string; ok: false; error: ErrorRecord }
) & {
  /** For idempotent invocations: when the stored result is forgotten (ms since epoch). */
  idempotencyExpiresAt?: number;
};

/** Answer to a one-way send. */
export interface SendReceipt {
  invocationId: string;
  status: "Accepted" | "PreviouslyAccepted";
  /** RFC 3339 time a delayed send will start. */
  executionTime?: string;
}

/** Output lookup: done (with result), not done yet, or unknown. */
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
  | { kind: "cancel"; owner: string; invocationId: string };

/** The owner a delivery is for. */
export function deliveryOwner(delivery: Delivery): string {
  return delivery.kind === "invoke" ? delivery.request.owner : delivery.owner;
}
