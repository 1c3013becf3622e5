/** The README quick start (greeter, counter) against examples/main.ts on workerd. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerdRuntime, eventually } from "../support/runtime.js";

describe("examples: quick start", () => {
  let rt: WorkerdRuntime;
  beforeAll(async () => {
    rt = await WorkerdRuntime.start({ entry: "examples/main.ts" });
  });
  afterAll(() => rt?.dispose());

  it("greets", async () => {
    expect(await rt.post("/greeter/greet", "Ada")).toMatchObject({ status: 200, body: "Hello, Ada!" });
  });

  it("counts per key, and concurrent adds on one key are never lost", async () => {
    await Promise.all(Array.from({ length: 10 }, () => rt.post("/counter/visits/add", 1)));
    expect((await rt.post("/counter/visits/get")).body).toBe(10);
    expect((await rt.post("/counter/other/get")).body).toBe(0);
  });

  it("counts a cron tick on counter/cron-ticks, once per tick", async () => {
    const tick = new Date("2026-11-22T10:10:00Z");
    expect(await rt.scheduled("*/10 * * * *", tick)).toBe("ok");
    expect(await rt.scheduled("*/10 * * * *", tick)).toBe("ok");
    await eventually(async () => (await rt.post("/counter/cron-ticks/get")).body === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect((await rt.post("/counter/cron-ticks/get")).body).toBe(1); // not 2: the repeated tick latched onto the first
  });
});
