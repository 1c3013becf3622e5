import { describe, expect, it, vi } from "vitest";
import { checkTracingOptions, parseHeaders, tracingConfig } from "../../src/tracing/config.js";

describe("tracing configuration", () => {
  it("is off when nothing is configured", () => {
    expect(tracingConfig(undefined, {})).toBeUndefined();
  });

  it("takes OpenTelemetry's environment variables: the traces endpoint as is, the base endpoint plus /v1/traces", () => {
    expect(tracingConfig(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "https://c.example:4318/" })).toEqual({ url: "https://c.example:4318/v1/traces", headers: {}, serviceName: "resolute" });
    expect(tracingConfig(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: "https://c.example/otlp", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://t.example/x" })?.url).toBe("https://t.example/x");
    const config = tracingConfig(undefined, {
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "api-key=a%20b, x=1",
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x=2",
      OTEL_SERVICE_NAME: "shop",
    });
    expect(config).toEqual({ url: "http://127.0.0.1:4318/v1/traces", headers: { "api-key": "a b", x: "2" }, serviceName: "shop" });
  });

  it("lets createWorker's option win over the environment, and `false` turn tracing off", () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "https://env.example", OTEL_SERVICE_NAME: "env" };
    expect(tracingConfig({ endpoint: "https://opt.example", serviceName: "opt", headers: { k: "v" } }, env)).toEqual({ url: "https://opt.example/v1/traces", headers: { k: "v" }, serviceName: "opt" });
    expect(tracingConfig(false, env)).toBeUndefined();
    expect(tracingConfig(undefined, { ...env, OTEL_SDK_DISABLED: "true" })).toBeUndefined();
    expect(tracingConfig(undefined, { ...env, OTEL_TRACES_EXPORTER: "none" })).toBeUndefined();
  });

  it("refuses a bad URL in the option when the Worker is built, and turns tracing off with a log line for one in the environment", () => {
    expect(() => checkTracingOptions({ endpoint: "collector:4318" })).toThrow(/tracing.endpoint gives 'collector:4318\/v1\/traces', which is not an http\(s\) URL/);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(tracingConfig(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "not a url" })).toBeUndefined();
      expect(JSON.parse(warn.mock.calls[0]![0] as string)).toEqual({ level: "warn", message: expect.stringContaining("tracing is off: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT gives 'not a url'") });
    } finally {
      warn.mockRestore();
    }
  });

  it("reads and checks the environment once per isolate for the same values, however many objects ask", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const bad = "not a url either";
      for (let i = 0; i < 3; i++) expect(tracingConfig(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: bad })).toBeUndefined();
      expect(warn).toHaveBeenCalledTimes(1);
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "https://once.example", OTEL_SERVICE_NAME: "once" };
      const first = tracingConfig(undefined, env);
      expect(tracingConfig(undefined, { ...env })).toBe(first);
      // Other values (a deploy that changed them) are read again.
      expect(tracingConfig(undefined, { ...env, OTEL_SERVICE_NAME: "twice" })?.serviceName).toBe("twice");
      expect(tracingConfig(false, env)).toBeUndefined();
    } finally {
      warn.mockRestore();
    }
  });

  it("reads again when any variable it reads changes (each is part of what the isolate's answer is kept by)", () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "https://each.example" };
    const first = tracingConfig(undefined, env);
    const changed: [string, string, (c: ReturnType<typeof tracingConfig>) => unknown, unknown][] = [
      ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://t.example/x", (c) => c?.url, "https://t.example/x"],
      ["OTEL_EXPORTER_OTLP_ENDPOINT", "https://other.example", (c) => c?.url, "https://other.example/v1/traces"],
      ["OTEL_EXPORTER_OTLP_TRACES_HEADERS", "a=1", (c) => c?.headers, { a: "1" }],
      ["OTEL_EXPORTER_OTLP_HEADERS", "b=2", (c) => c?.headers, { b: "2" }],
      ["OTEL_SERVICE_NAME", "each", (c) => c?.serviceName, "each"],
      ["OTEL_SDK_DISABLED", "true", (c) => c, undefined],
      ["OTEL_TRACES_EXPORTER", "none", (c) => c, undefined],
    ];
    for (const [name, value, part, expected] of changed) {
      expect(tracingConfig(undefined, { ...env }), name).toBe(first);
      expect(part(tracingConfig(undefined, { ...env, [name]: value })), name).toEqual(expected);
    }
  });

  it("parses the headers format leniently", () => {
    expect(parseHeaders(" a = 1 ,=x,b,c=%zz, d=e=f")).toEqual({ a: "1", c: "%zz", d: "e=f" });
    expect(parseHeaders(undefined)).toEqual({});
  });
});
