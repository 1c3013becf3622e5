/**
 * Product reservation, made safe to retry with an idempotency key.
 *
 * One virtual object per product id. `reserve` is exclusive, so two
 * reservations of one product never race on the stock: each sees the stock
 * the previous one left, and an order larger than what is left is refused
 * with a TerminalError(409).
 *
 * A client that loses the connection does not know whether its reservation
 * was booked. It retries with the same `idempotency-key` header, and the
 * ingress turns the retry into the *same* invocation: if the first is still
 * running the retry waits for it, if it finished the retry gets the stored
 * response — same body, same `x-restate-id`, stock decremented once, even
 * after a restart. Without the key a retry is a new request, and `reserve`
 * refuses a reservation id it has already booked (409) rather than booking
 * twice.
 *
 *   curl -X POST 127.0.0.1:8787/product/lamp/restock --json 10
 *   curl -X POST 127.0.0.1:8787/product/lamp/reserve -H 'idempotency-key: r-1' \
 *     --json '{"reservationId":"r-1","quantity":3}'
 *   curl -X POST 127.0.0.1:8787/product/lamp/stock    →  7
 */
import { handlers, object, TerminalError } from "resolute";
import type { ObjectContext, ObjectSharedContext } from "resolute";

export interface ReserveRequest {
  reservationId: string;
  quantity: number;
}

export interface Reservation {
  reservationId: string;
  productId: string;
  quantity: number;
  /** Stock left after this reservation. */
  remaining: number;
  /** Epoch ms, from the journaled clock. */
  reservedAt: number;
}

/** Status of a reservation the stock cannot cover, or of a reservation id already booked. */
export const CONFLICT_CODE = 409;
const BAD_INPUT_CODE = 400;

const reservationKey = (id: string) => `reservation:${id}`;

function checkQuantity(quantity: unknown): number {
  if (Number.isInteger(quantity) && (quantity as number) > 0) return quantity as number;
  throw new TerminalError(`quantity must be a positive integer, got ${JSON.stringify(quantity)}`, { errorCode: BAD_INPUT_CODE });
}

async function stockOf(ctx: ObjectSharedContext): Promise<number> {
  return (await ctx.get<number>("stock")) ?? 0;
}

export const product = object({
  name: "product",
  handlers: {
    /** Adds `quantity` units to the stock; returns the new stock. */
    restock: async (ctx: ObjectContext, quantity: number) => {
      const stock = (await stockOf(ctx)) + checkQuantity(quantity);
      ctx.set("stock", stock);
      return stock;
    },

    /** Books `quantity` units under `reservationId`; 409 when the stock is short or the id is taken. */
    reserve: async (ctx: ObjectContext, request: ReserveRequest): Promise<Reservation> => {
      const quantity = checkQuantity(request?.quantity);
      const { reservationId } = request;
      if (typeof reservationId !== "string" || reservationId === "") {
        throw new TerminalError("reservationId must be a non-empty string", { errorCode: BAD_INPUT_CODE });
      }
      if (await ctx.get(reservationKey(reservationId))) {
        throw new TerminalError(`reservation '${reservationId}' of '${ctx.key}' is already booked: retry with the same idempotency-key to get its response`, {
          errorCode: CONFLICT_CODE,
        });
      }
      const stock = await stockOf(ctx);
      if (quantity > stock) {
        throw new TerminalError(`cannot reserve ${quantity} of '${ctx.key}': only ${stock} left`, { errorCode: CONFLICT_CODE });
      }
      const reservation: Reservation = { reservationId, productId: ctx.key, quantity, remaining: stock - quantity, reservedAt: await ctx.date.now() };
      ctx.set("stock", reservation.remaining);
      ctx.set(reservationKey(reservationId), reservation);
      return reservation;
    },

    /** Units left; shared, so it answers while a reservation runs. */
    stock: handlers.object.shared(async (ctx: ObjectSharedContext) => stockOf(ctx)),

    /** One booked reservation, or null. */
    reservation: handlers.object.shared(async (ctx: ObjectSharedContext, reservationId: string) =>
      ctx.get<Reservation>(reservationKey(reservationId)),
    ),
  },
});

export const reservationServices = [product];
