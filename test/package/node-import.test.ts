/**
 * issue #12: a test that imports the module calling createWorker fails in Node
 * (`cloudflare:workers`). The package's `#workers-runtime` import gives Node a stand-in
 * Durable Object base class, so a Worker module loads in Node for its definitions.
 */
import { describe, expect, it } from "vitest";
import { createTestRuntime } from "resolute/testing";

describe("a Worker module in Node", () => {
  it("imports (createWorker runs) and its definitions run on the test runtime", async () => {
    const worker = await import("../../examples/main.js");
    expect(typeof worker.default.fetch).toBe("function");
    expect(typeof worker.ResoluteObject).toBe("function");
    const rt = createTestRuntime({ services: worker.services });
    expect(await rt.call("greeter", "greet", "Ada")).toBe("Hello, Ada!");
  });
});
