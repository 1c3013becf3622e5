/**
 * Restate's handler and service options beyond retries: `asTerminalError`, a
 * default `serde`, and the documentation fields.
 */
import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { handlers, object, service } from "../../sdk/define.js";
import { TerminalError } from "../../sdk/errors.js";
import { serde } from "../../sdk/serde.js";
import { Registry } from "../../src/engine/registry.js";
import { MODES, runtime } from "./support.js";

class CardDeclined extends Error {}

const declinedAsTerminal = (e: unknown) => (e instanceof CardDeclined ? new TerminalError(`declined: ${(e as Error).message}`, { errorCode: 402 }) : undefined);

describe.each(MODES)("handler options ($mode)", ({ alwaysReplay }) => {
  it("asTerminalError turns a handler's error into a terminal failure: no retry", async () => {
    let attempts = 0;
    const svc = service({
      name: "shop",
      handlers: {
        buy: handlers.handler({ asTerminalError: declinedAsTerminal }, async () => {
          attempts++;
          throw new CardDeclined("insufficient funds");
        }),
      },
    });
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("shop", "buy");
    expect(rt.info(id).status).toBe("completed");
    expect(() => rt.result(id)).toThrow("declined: insufficient funds");
    expect(attempts).toBe(1);
  });

  it("asTerminalError from the service options journals a run's error, so the handler can compensate", async () => {
    const effects: string[] = [];
    const svc = service({
      name: "saga",
      options: { asTerminalError: declinedAsTerminal },
      handlers: {
        book: async (ctx: Context) => {
          await ctx.run("reserve", () => void effects.push("reserve"));
          try {
            await ctx.run("charge", () => {
              effects.push("charge");
              throw new CardDeclined("expired");
            });
          } catch (e) {
            await ctx.run("release", () => void effects.push("release"));
            return `compensated after ${(e as TerminalError).message} (${(e as TerminalError).code})`;
          }
          return "charged";
        },
      },
    });
    const rt = runtime([svc], alwaysReplay);
    expect(await rt.call("saga", "book")).toBe("compensated after declined: expired (402)");
    expect(effects).toEqual(["reserve", "charge", "release"]);
  });

  it("keeps other errors retryable, and a handler's mapper replaces the service's", async () => {
    let attempts = 0;
    const svc = service({
      name: "picky",
      options: { asTerminalError: () => new TerminalError("the service's mapper") },
      handlers: {
        go: handlers.handler({ asTerminalError: declinedAsTerminal }, async () => {
          if (++attempts < 2) throw new Error("flaky");
          return attempts;
        }),
      },
    });
    const rt = runtime([svc], alwaysReplay);
    const id = await rt.invoke("picky", "go");
    expect(rt.info(id)).toMatchObject({ status: "backing-off", failures: 1 });
    await rt.advance(500);
    expect(rt.result(id)).toBe(2);
  });

  it("a service-level serde applies to input and output where the handler sets none", async () => {
    const svc = service({
      name: "bytes",
      options: { serde: serde.binary },
      handlers: {
        reverse: async (_ctx: Context, input: Uint8Array) => input.slice().reverse(),
        length: handlers.handler({ output: serde.json }, async (_ctx: Context, input: Uint8Array) => input.length),
      },
    });
    const rt = runtime([svc], alwaysReplay);
    expect(await rt.call("bytes", "reverse", new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([3, 2, 1]));
    expect(await rt.call("bytes", "length", new Uint8Array([1, 2, 3, 4]))).toBe(4);
  });
});

describe("documentation fields", () => {
  it("keeps a definition's and a handler's description and metadata in the registry", () => {
    const counter = object({
      name: "counter",
      description: "Counts things",
      metadata: { team: "payments" },
      options: { enableLazyState: true, inactivityTimeout: { minutes: 1 } },
      handlers: {
        add: handlers.object.exclusive({ description: "Adds n", metadata: { since: "1.0" } }, async () => 1),
        get: handlers.object.shared(async () => 1),
      },
    });
    const registry = new Registry([counter]);
    expect(registry.service("counter")).toMatchObject({ description: "Counts things", metadata: { team: "payments" } });
    expect(registry.handler("counter", "add")).toMatchObject({ description: "Adds n", metadata: { since: "1.0" } });
    expect(registry.handler("counter", "get")?.description).toBeUndefined();
  });
});
