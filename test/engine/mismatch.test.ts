import { describe, expect, it } from "vitest";
import type { Context } from "../../sdk/context.js";
import { service, type ServiceOptions } from "../../sdk/define.js";
import { JOURNAL_MISMATCH_CODE } from "../../sdk/errors.js";
import { Attempt } from "../../src/engine/attempt.js";
import { Registry } from "../../src/engine/registry.js";
import { runtime, standaloneHost } from "./support.js";

/** A handler whose code "changes" between attempts, as after a deploy. */
function changing(options: ServiceOptions = {}) {
  const version = { current: 1 };
  const svc = service({
    name: "changing",
    options,
    handlers: {
      go: async (ctx: Context) => {
        await ctx.run("first", () => "ok");
        if (version.current === 1) await ctx.sleep(1_000);
        else await ctx.run("x", () => "new path");
        return version.current;
      },
    },
  });
  return { version, svc };
}

describe("journal mismatch", () => {
  it("ends the attempt with a retryable 570 naming the index and both sides", async () => {
    const { version, svc } = changing();
    const registry = new Registry([svc]);
    const kinds = { kindOf: (name: string) => registry.service(name)?.kind, serviceShards: 1 };
    const { host, store } = standaloneHost("inv_1test.a", { service: "changing", handler: "go" });
    const params = {
      invocationId: "inv_1test.a",
      target: { service: "changing", handler: "go" },
      input: new Uint8Array(0),
      headers: {},
      spec: registry.handler("changing", "go")!,
      kinds,
      host,
    };
    const first = new Attempt({ ...params, journal: [] });
    void first.start();
    await new Promise((r) => setImmediate(r));
    expect(first.waiting).toBe(true);
    first.close();

    version.current = 2;
    const outcome = await new Attempt({ ...params, journal: store.journal("inv_1test.a") }).start();
    expect(outcome.kind).toBe("retry");
    if (outcome.kind !== "retry") return;
    expect(outcome.error.code).toBe(JOURNAL_MISMATCH_CODE);
    expect(outcome.error.code).toBe(570);
    expect(outcome.error.message).toContain("Journal mismatch at entry 1");
    expect(outcome.error.message).toContain('called run("x")');
    expect(outcome.error.message).toContain("recorded sleep()");
  });

  it("is retried with back-off and continues once the code takes the recorded path again", async () => {
    const { version, svc } = changing();
    const rt = runtime([svc]);
    const id = await rt.invoke("changing", "go");
    version.current = 2;
    await rt.crash(id);
    expect(rt.info(id)).toMatchObject({ status: "backing-off", failures: 1, nextAttemptAt: 500 });
    expect(rt.info(id).lastError).toMatchObject({ code: 570, name: "JournalMismatchError" });
    expect(rt.info(id).lastError!.message).toMatch(/^Journal mismatch at entry 1: the handler called run\("x"\) but the journal recorded sleep\(\)/);

    version.current = 1; // a fixed deploy
    await rt.advance(1_000);
    expect(rt.result(id)).toBe(1);
  });

  it("onJournalMismatchErrors 'pause' parks the invocation; resumed under fixed code it finishes", async () => {
    const { version, svc } = changing({ onJournalMismatchErrors: "pause" });
    const rt = runtime([svc]);
    const id = await rt.invoke("changing", "go");
    version.current = 2;
    await rt.crash(id);
    await rt.advance(60_000);
    expect(rt.info(id)).toMatchObject({ status: "paused", failures: 1 });
    expect(rt.info(id).lastError).toMatchObject({ code: 570, name: "JournalMismatchError" });
    version.current = 1;
    await rt.resume(id);
    await rt.advance(1_000);
    expect(rt.result(id)).toBe(1);
  });

  it("onJournalMismatchErrors 'fail' ends the invocation with the mismatch (570)", async () => {
    const { version, svc } = changing({ onJournalMismatchErrors: "fail" });
    const rt = runtime([svc]);
    const id = await rt.invoke("changing", "go");
    version.current = 2;
    await rt.crash(id);
    expect(rt.info(id).status).toBe("completed");
    const error = (() => {
      try {
        rt.result(id);
      } catch (e) {
        return e as { code: number; message: string };
      }
    })();
    expect(error).toMatchObject({ code: 570 });
    expect(error?.message).toContain("Journal mismatch at entry 1");
  });

  it("always-replay mode exposes code that is not deterministic", async () => {
    let calls = 0;
    const flaky = service({
      name: "flaky",
      handlers: {
        go: async (ctx: Context) => {
          // Branches on something outside the journal: differs on every execution.
          if (calls++ % 2 === 0) await ctx.run("even", () => 1);
          else await ctx.run("odd", () => 2);
          return "done";
        },
      },
    });
    const normal = runtime([flaky]);
    expect(await normal.call("flaky", "go")).toBe("done");

    calls = 0;
    const replaying = runtime([flaky], true);
    const id = await replaying.invoke("flaky", "go");
    expect(replaying.info(id).status).toBe("backing-off");
    expect(replaying.info(id).lastError?.message).toContain("Journal mismatch at entry 0");
  });
});
