/**
 * Food ordering with a human in the loop. One virtual object per order:
 *
 *   place ──pay──► scheduled ──(delay)──► preparing ──kitchen confirms──► ready ──► delivered
 *                                             └──kitchen declines / no answer──► cancelled (refunded)
 *
 * - `place` charges the customer (a `ctx.run` step, so exactly one charge
 *   however often it is retried) and sends the order a *delayed* `prepare`
 *   for the requested time. That is a durable timer, not a handler sleeping
 *   on the order's lock: `place` answers at once, and the delay survives
 *   restarts.
 * - `prepare` creates an awakeable, hands its id to the restaurant with the
 *   ticket, and waits until the kitchen answers over HTTP
 *   (`/restate/awakeables/<id>/resolve` or `/reject`) or KITCHEN_TIMEOUT
 *   passes. Its progress is on disk, so a restart meanwhile loses nothing.
 *   A refusal, or no answer, refunds the payment.
 * - `deliver` dispatches the courier. `status` is shared: it reads the order
 *   while `prepare` waits.
 *
 *   curl -X POST 127.0.0.1:8787/order/o-1/place --json '{"items":["pizza"],"deliveryDelayMs":5000}'
 *   curl -X POST 127.0.0.1:8787/order/o-1/status     # after 5 s: "preparing", with its awakeableId
 *   curl -X POST 127.0.0.1:8787/restate/awakeables/<awakeableId>/resolve --json '{"accepted":true}'
 */
import { handlers, object, service, rpc, serde, TerminalError, MAX_DELAY_MS } from "resolute";
import type { Context, ObjectContext, ObjectSharedContext } from "resolute";
import { z } from "zod";

export type OrderStatus = "none" | "scheduled" | "preparing" | "ready" | "delivered" | "cancelled";

export interface PlaceRequest {
  items: string[];
  /** How long from now the order should be prepared and delivered. */
  deliveryDelayMs: number;
}

export interface Order {
  orderId: string;
  status: OrderStatus;
  items: string[];
  payment?: string;
  /** The kitchen's confirmation: resolve or reject this awakeable. */
  awakeableId?: string;
  ticket?: string;
  courier?: string;
  refund?: string;
  reason?: string;
  /** Each status with the time it was reached (journaled clock). */
  timeline: { status: OrderStatus; at: number }[];
}

/** What the kitchen posts to the awakeable. */
export interface KitchenAnswer {
  accepted: boolean;
  reason?: string;
}

/** How long the kitchen has to answer before the order is cancelled and refunded. */
export const KITCHEN_TIMEOUT = { minutes: 30 };

/** A kitchen ticket; `restaurant.prepare` is public, so a malformed one is a 400, never a retried TypeError. */
const Ticket = z.object({ orderId: z.string(), items: z.array(z.string()), awakeableId: z.string() });

export const restaurant = service({
  name: "restaurant",
  handlers: {
    /** Puts the ticket on the kitchen's screen; the cook answers through the awakeable. */
    prepare: handlers.handler({ input: serde.zod(Ticket) }, async (ctx: Context, ticket: z.infer<typeof Ticket>) => {
      return ctx.run("print ticket", () => {
        console.log(`kitchen: order ${ticket.orderId}: ${ticket.items.join(", ")}; confirm with POST /restate/awakeables/${ticket.awakeableId}/resolve`);
        return `T-${ticket.orderId}`;
      });
    }),
  },
});

async function load(ctx: ObjectSharedContext): Promise<Order> {
  return (await ctx.get<Order>("order")) ?? { orderId: ctx.key, status: "none", items: [], timeline: [] };
}

/** Stores the order with `changes`; a new status is stamped on the timeline with the journaled clock. */
async function update(ctx: ObjectContext, order: Order, changes: Partial<Order>): Promise<Order> {
  const moved = changes.status !== undefined && changes.status !== order.status;
  const timeline = moved ? [...order.timeline, { status: changes.status!, at: await ctx.date.now() }] : order.timeline;
  const next: Order = { ...order, ...changes, timeline };
  ctx.set("order", next);
  return next;
}

function checkPlace(request: PlaceRequest): void {
  const items = request?.items;
  if (!Array.isArray(items) || items.length === 0 || !items.every((i) => typeof i === "string" && i !== "")) {
    throw new TerminalError("items must be a non-empty list of strings", { errorCode: 400 });
  }
  if (!Number.isFinite(request.deliveryDelayMs) || request.deliveryDelayMs < 0 || request.deliveryDelayMs > MAX_DELAY_MS) {
    throw new TerminalError(`deliveryDelayMs must be a number from 0 to ${MAX_DELAY_MS}`, { errorCode: 400 });
  }
}

export const order = object({
  name: "order",
  handlers: {
    place: async (ctx: ObjectContext, request: PlaceRequest): Promise<Order> => {
      checkPlace(request);
      const placed = await load(ctx);
      if (placed.status !== "none") throw new TerminalError(`order '${ctx.key}' was already placed (${placed.status})`, { errorCode: 409 });
      const payment = await ctx.run("pay", () => `PAY-${crypto.randomUUID().slice(0, 8)}`);
      const scheduled = await update(ctx, placed, { status: "scheduled", items: request.items, payment });
      ctx.objectSendClient(order, ctx.key).prepare(undefined, rpc.sendOpts({ delay: request.deliveryDelayMs }));
      return scheduled;
    },

    /** Sent by `place` with a delay; waits for the kitchen. */
    prepare: handlers.object.exclusive({ ingressPrivate: true }, async (ctx: ObjectContext): Promise<Order> => {
      let current = await load(ctx);
      if (current.status !== "scheduled") return current;
      const confirmation = ctx.awakeable<KitchenAnswer>();
      current = await update(ctx, current, { status: "preparing", awakeableId: confirmation.id });
      const ticket = await ctx.serviceClient(restaurant).prepare({ orderId: ctx.key, items: current.items, awakeableId: confirmation.id });
      current = await update(ctx, current, { ticket });

      let answer: KitchenAnswer;
      try {
        answer = await confirmation.promise.orTimeout(KITCHEN_TIMEOUT);
      } catch (error) {
        if (!(error instanceof TerminalError)) throw error;
        answer = { accepted: false, reason: error.message };
      }
      if (!answer.accepted) {
        const refund = await ctx.run("refund", () => `REF-${current.payment}`);
        return update(ctx, current, { status: "cancelled", refund, reason: answer.reason ?? "declined by the kitchen" });
      }
      current = await update(ctx, current, { status: "ready" });
      // Runs after this handler releases the order: exclusive handlers of one key never overlap.
      ctx.objectSendClient(order, ctx.key).deliver();
      return current;
    }),

    /** Sent by `prepare` once the kitchen confirmed. */
    deliver: handlers.object.exclusive({ ingressPrivate: true }, async (ctx: ObjectContext): Promise<Order> => {
      const current = await load(ctx);
      if (current.status !== "ready") return current;
      const courier = await ctx.run("dispatch courier", () => `COURIER-${crypto.randomUUID().slice(0, 4)}`);
      return update(ctx, current, { status: "delivered", courier });
    }),

    status: handlers.object.shared(async (ctx: ObjectSharedContext) => load(ctx)),
  },
});

export const foodOrderingServices = [order, restaurant];
