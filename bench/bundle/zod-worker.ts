/** The starter's Worker plus one handler whose input is validated by a zod schema: what zod adds to a bundle. */
import { createWorker, handlers, serde, service } from "resolute";
import type { Context } from "resolute";
import { z } from "zod";
import { counter, greeter } from "../../templates/starter/src/worker.js";

const Order = z.object({ sku: z.string().min(1), quantity: z.number().int().positive() });

export const orders = service({
  name: "orders",
  handlers: {
    place: handlers.handler({ input: serde.zod(Order) }, async (ctx: Context, order: z.infer<typeof Order>) => ctx.run("price", () => order.quantity * 3)),
  },
});

const resolute = createWorker({ services: [greeter, counter, orders] });
export default { fetch: resolute.fetch };
export const ResoluteObject = resolute.ResoluteObject;
