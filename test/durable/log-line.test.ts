import { describe, expect, it } from "vitest";
import { formatLogLine } from "../../src/durable/log-line.js";

describe("log lines", () => {
  it("are one JSON object with the invocation, target, attempt and trace, and the message", () => {
    const line = formatLogLine("warn", { invocationId: "inv_1a.b", target: "counter/k/add", attempt: 2, traceId: "t", spanId: "s" }, ["added", 3, { n: 1 }]);
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({ level: "warn", invocationId: "inv_1a.b", target: "counter/k/add", attempt: 2, traceId: "t", spanId: "s", message: 'added 3 {"n":1}' });
  });

  it("write errors with their stack, and values JSON cannot hold as text", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const error = new Error("boom");
    const message = JSON.parse(formatLogLine("error", { invocationId: "i" }, [error, cyclic, undefined])).message as string;
    expect(message.startsWith("Error: boom\n")).toBe(true);
    expect(message.endsWith(" [object Object] undefined")).toBe(true);
  });
});
