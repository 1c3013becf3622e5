/**
 * The smallest service: one stateless handler. Every call is still a durable
 * invocation, so an idempotency key makes a retried request return the first
 * answer instead of running again.
 *
 *   curl -X POST localhost:8787/greeter/greet --json '"Ada"'   →  "Hello, Ada!"
 */
import { service } from "resolute";
import type { Context } from "resolute";

export const greeter = service({
  name: "greeter",
  handlers: {
    greet: async (_ctx: Context, name: string) => `Hello, ${name}!`,
  },
});
