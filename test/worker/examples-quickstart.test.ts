/** The README quick start (greeter, counter) against examples/main.ts on workerd. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestRuntime } from "../support/runtime.js";

describe("examples: quick start", () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await TestRuntime.start({ entry: "examples/main.ts" });
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
});
