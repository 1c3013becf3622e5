/**
 * Messages exchanged with the Durable Object over RPC: from the ingress Worker
 * and between objects (outbox deliveries). Plain structured-clone data.
 */
import type { ErrorRecord } from "../../sdk/errors.js";
import type { Completion, Target } from "../engine/types.js";
import type { CompletionVerdict } from "../engine/completions.js";
import type { AwakeableAddress } from "../engine/ids.js";

/** A new invocation, from ingress or from another handler's call/send. */
export interface InvokeRequest {
  /** The owner (Durable Object name) that runs it; see engine/ids.ts. */
  owner: string;
  invocationId: string;
  target: Target;
  input: Uint8Array;
  headers: Record<string, string>;
  idempotencyKey?: string;
  /** Absolute time (ms, the object's clock) before which it must not start (delayed send from a handler). */
  notBefore?: number;
  /** Delay (ms) from arrival before it starts (delayed send from ingress: `?delay=`). */
  delayMs?: number;
  /** Where to deliver the result (request-response call between handlers). */
  replyTo?: Subscriber;
  /** Who started it, for observability: "ingress" or the caller's invocation id. */
  invokedBy: string;
}

/** An invocation waiting for another one's result: entry `index` of `invocationId`. */
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

/** Deliveries between objects; each is idempotent at the receiver. */
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
  | { kind: "awakeable"; owner: string; invocationId: string; index: number; completion: Completion; secret?: string }
  | { kind: "subscribe"; owner: string; invocationId: string; subscriber: Subscriber }
  | { kind: "cancel"; owner: string; invocationId: string };

/** The RPC surface of the Durable Object (what ingress and other objects call). */
export interface ObjectRpc {
  /** Starts (or latches onto) an invocation and waits for its result. */
  invoke(request: InvokeRequest): Promise<InvocationResult>;
  /** Starts (or finds) an invocation without waiting. */
  send(request: InvokeRequest): Promise<SendReceipt>;
  /** Waits for an invocation's result; `unknown` when it does not exist. */
  attach(owner: string, invocationId: string): Promise<OutputLookup>;
  /** The result if done, without waiting. */
  output(owner: string, invocationId: string): Promise<OutputLookup>;
  /** Applies deliveries from other objects (or ingress: cancel). */
  deliver(deliveries: Delivery[]): Promise<void>;
  /** Completes an awakeable for ingress: `refused` when the id names no awakeable of a live invocation. */
  completeAwakeable(address: AwakeableAddress, completion: Completion): Promise<CompletionVerdict>;
}
