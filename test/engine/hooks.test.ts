/** Hooks: interceptors around a handler's attempts and around its `ctx.run` closures. */
import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { handlers, service, type HooksProvider } from "../../sdk/define.js";
import { runtime } from "./support.js";

/** A provider that logs what it sees under `label`. */
function logging(label: string, log: string[]): HooksProvider {
  return ({ request }) => ({
    interceptor: {
      handler: async (next) => {
        log.push(`${label} handler> ${request.target.handler}`);
        try {
          await next();
          log.push(`${label} handler< ok`);
        } catch (e) {
          log.push(`${label} handler< ${(e as Error).message}`);
          throw e;
        }
      },
      run: async (name, next) => {
        log.push(`${label} run> ${name}`);
        await next();
        log.push(`${label} run< ${name}`);
      },
    },
  });
}

describe("hooks", () => {
  it("wrap every attempt and each run that really executes, service hooks outside the handler's", async () => {
    const log: string[] = [];
    let failures = 1;
    const svc = service({
      name: "traced",
      options: { hooks: [logging("svc", log)] },
      handlers: {
        go: handlers.handler({ hooks: [logging("h", log)] }, async (ctx: Context) => {
          await ctx.run("first", () => log.push("first ran"));
          await ctx.run("second", () => {
            log.push("second ran");
            if (failures-- > 0) throw new Error("flaky");
          });
          return "done";
        }),
      },
    });
    const rt = runtime([svc]);
    const id = await rt.invoke("traced", "go");
    await rt.advance(500);
    expect(rt.result(id)).toBe("done");
    expect(log).toEqual([
      // attempt 1: both runs execute, the second fails and ends the attempt
      "svc handler> go", "h handler> go",
      "svc run> first", "h run> first", "first ran", "h run< first", "svc run< first",
      "svc run> second", "h run> second", "second ran",
      "h handler< flaky", "svc handler< flaky",
      // attempt 2: "first" replays from the journal, without its interceptors
      "svc handler> go", "h handler> go",
      "svc run> second", "h run> second", "second ran", "h run< second", "svc run< second",
      "h handler< ok", "svc handler< ok",
    ]);
  });

  it("give the provider the attempt's request, and a throwing provider fails the attempt retryably", async () => {
    const seen: string[] = [];
    let broken = true;
    const svc = service({
      name: "probed",
      options: {
        hooks: [
          ({ request }) => {
            seen.push(`${request.target.service}/${request.target.handler} ${request.id.startsWith("inv_")}`);
            if (broken) throw new Error("provider broke");
            return {};
          },
        ],
      },
      handlers: { go: async () => "ok" },
    });
    const rt = runtime([svc]);
    const id = await rt.invoke("probed", "go");
    expect(rt.info(id)).toMatchObject({ status: "backing-off" });
    expect(rt.info(id).lastError?.message).toBe("provider broke");
    broken = false;
    await rt.advance(500);
    expect(rt.result(id)).toBe("ok");
    expect(seen).toEqual(["probed/go true", "probed/go true"]);
  });
});
