/**
 * The Durable Object's RPC surface: what the ingress Worker and other objects
 * call. The messages it carries are the engine's (engine/messages.ts): plain
 * structured-clone data.
 */
import type { Completion } from "../engine/types.js";
import type { CompletionVerdict } from "../engine/completions.js";
import type { AwakeableAddress } from "../engine/ids.js";
import type { LookupExpectation } from "../engine/admission.js";
import type { Delivery, DeliveryReply, InvocationResult, InvokeRequest, OutputLookup, SendReceipt } from "../engine/messages.js";

export type { Delivery, DeliveryReply, InvocationResult, InvokeRequest, OutputLookup, SendReceipt, Subscriber } from "../engine/messages.js";
export type { LookupExpectation } from "../engine/admission.js";

/** How a sender takes the answers to its deliveries (see ObjectRpc.deliver). */
export interface DeliverOptions {
  /**
   * The sender takes a call's result in the response when the callee finishes soon (an
   * `answered` reply; else it is sent later as a reply delivery). A sender that does not
   * say so (an older version) never gets one, since it would drop it.
   */
  answerCalls?: boolean;
}

/** The RPC surface of the Durable Object (what ingress and other objects call). */
export interface ObjectRpc {
  /** Starts (or latches onto) an invocation and waits for its result. */
  invoke(request: InvokeRequest): Promise<InvocationResult>;
  /** Starts (or finds) an invocation without waiting. */
  send(request: InvokeRequest): Promise<SendReceipt>;
  /** Waits for an invocation's result; `unknown` when it does not exist (or, by idempotency key, is another request's). */
  attach(owner: string, invocationId: string, expected?: LookupExpectation): Promise<OutputLookup>;
  /** The result if done, without waiting. */
  output(owner: string, invocationId: string, expected?: LookupExpectation): Promise<OutputLookup>;
  /**
   * Applies deliveries from other objects (or ingress: cancel); answers some of them (see
   * DeliveryReply), calls that finish soon only with `answerCalls`.
   */
  deliver(deliveries: Delivery[], options?: DeliverOptions): Promise<DeliveryReply[] | void>;
  /**
   * Completes an awakeable for ingress: `refused` when the id names no awakeable of a live invocation.
   * `traceparent`: the completing request's, which the awakeable's span links to.
   */
  completeAwakeable(address: AwakeableAddress, completion: Completion, traceparent?: string): Promise<CompletionVerdict>;
}
