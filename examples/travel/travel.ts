/**
 * A travel booking saga across three parties: `trip.book` reserves a flight,
 * then a rental car, then charges the traveller. If the payment is refused (a
 * TerminalError), the reservations made so far are cancelled in reverse order
 * (car, then flight) and the refusal is rethrown, so the caller gets its code
 * (402) and nothing stays booked.
 *
 * Flights and cars are virtual objects keyed by trip id; `trip` calls them
 * with `ctx.objectClient(...)`, request-response calls that are delivered
 * exactly once and whose results are journaled. Each object records its
 * booking in state, so `flights/<tripId>/get` shows what is booked.
 *
 * A crash anywhere resumes from the journal: finished steps are not redone,
 * and a compensation that had started finishes. Compensations are registered
 * *before* the step they undo and are safe to run on something never booked,
 * because a terminal failure can come after the other side acted.
 *
 *   curl -X POST 127.0.0.1:8787/trip/book --json '{"tripId":"t-1"}'
 *   curl -X POST 127.0.0.1:8787/trip/book --json '{"tripId":"t-2","failPayment":true}'   → 402
 *   curl -X POST 127.0.0.1:8787/flights/t-2/get   → {"status":"cancelled",...}
 */
import { handlers, object, service, serde, TerminalError } from "resolute";
import type { Context, ObjectContext, ObjectSharedContext } from "resolute";
import { z } from "zod";

export interface Booking {
  /** The supplier's confirmation number. */
  confirmation: string;
  status: "reserved" | "cancelled";
}

export interface TripRequest {
  tripId: string;
  /** Makes the (fake) payment fail, to see the compensations run. */
  failPayment?: boolean;
}

/** `book`'s input, checked before the saga starts: a malformed request is a 400, never a retried TypeError. */
const TripRequestSchema = z.object({ tripId: z.string().min(1), failPayment: z.boolean().optional() });

export interface Trip {
  tripId: string;
  flight: string;
  car: string;
  payment: string;
}

/** Status of a refused payment. */
export const PAYMENT_REFUSED_CODE = 402;

/** A bookable resource (a seat, a car) held by one object per trip. */
function supplier<N extends string>(name: N, prefix: string) {
  return object({
    name,
    handlers: {
      /** Reserves (once) and returns the confirmation number. */
      reserve: async (ctx: ObjectContext): Promise<string> => {
        const existing = await ctx.get<Booking>("booking");
        if (existing?.status === "reserved") return existing.confirmation;
        // Stands in for the supplier's API; its answer is journaled, so it is asked once.
        const confirmation = await ctx.run(`reserve ${name}`, () => `${prefix}-${crypto.randomUUID().slice(0, 8)}`);
        ctx.set("booking", { confirmation, status: "reserved" } satisfies Booking);
        return confirmation;
      },
      /** Releases the reservation; nothing to do when there is none (compensations may run blind). */
      cancel: async (ctx: ObjectContext): Promise<void> => {
        const booking = await ctx.get<Booking>("booking");
        if (booking?.status !== "reserved") return;
        await ctx.run(`cancel ${name}`, () => undefined);
        ctx.set("booking", { ...booking, status: "cancelled" } satisfies Booking);
      },
      get: handlers.object.shared(async (ctx: ObjectSharedContext) => ctx.get<Booking>("booking")),
    },
  });
}

export const flights = supplier("flights", "FL");
export const cars = supplier("cars", "CAR");

export const trip = service({
  name: "trip",
  handlers: {
    book: handlers.handler({ input: serde.zod(TripRequestSchema) }, async (ctx: Context, request: TripRequest): Promise<Trip> => {
      const { tripId, failPayment = false } = request;
      if (typeof tripId !== "string" || tripId === "") throw new TerminalError("tripId must be a non-empty string", { errorCode: 400 });
      const compensations: (() => Promise<unknown>)[] = [];
      try {
        compensations.push(() => ctx.objectClient(flights, tripId).cancel());
        const flight = await ctx.objectClient(flights, tripId).reserve();

        compensations.push(() => ctx.objectClient(cars, tripId).cancel());
        const car = await ctx.objectClient(cars, tripId).reserve();

        const payment = await ctx.run("pay", () => {
          if (failPayment) throw new TerminalError(`payment for trip '${tripId}' refused: card declined`, { errorCode: PAYMENT_REFUSED_CODE });
          return `PAY-${crypto.randomUUID().slice(0, 8)}`;
        });
        return { tripId, flight, car, payment };
      } catch (error) {
        // Only terminal failures end the saga; anything else is retried by the runtime and never lands here.
        if (!(error instanceof TerminalError)) throw error;
        for (const undo of compensations.reverse()) await undo();
        throw error;
      }
    }),
  },
});

export const travelServices = [trip, flights, cars];
