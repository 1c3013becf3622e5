/**
 * Where spans go: createWorker's `tracing` option, else the Worker's environment
 * under OpenTelemetry's standard names (so a deploy can turn tracing on with
 * `wrangler secret put OTEL_EXPORTER_OTLP_ENDPOINT`, no code change). Nothing
 * configured: tracing is off, and the runtime makes no span objects at all.
 */

/** createWorker's `tracing` option. */
export interface TracingOptions {
  /**
   * The OTLP/HTTP collector's base URL: spans are POSTed as JSON to `{endpoint}/v1/traces`
   * (as OTEL_EXPORTER_OTLP_ENDPOINT). @default env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as
   * is), else env OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces", else tracing is off
   */
  endpoint?: string;
  /** Headers sent with every export (an API key...). @default env OTEL_EXPORTER_OTLP_TRACES_HEADERS / OTEL_EXPORTER_OTLP_HEADERS (`k1=v1,k2=v2`) */
  headers?: Record<string, string>;
  /** The resource's `service.name`. @default env OTEL_SERVICE_NAME, else "resolute" */
  serviceName?: string;
}

/**
 * The environment variables read (Worker vars or secrets), and the only ones: tracingConfig's
 * answer depends on these (and the option) alone. `OTEL_SDK_DISABLED` "true" turns tracing off
 * whatever else is set, as in OpenTelemetry's SDKs; `OTEL_TRACES_EXPORTER` "none" turns it off
 * ("otlp", the default, is the only exporter).
 */
const ENV_NAMES = [
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_SERVICE_NAME",
  "OTEL_SDK_DISABLED",
  "OTEL_TRACES_EXPORTER",
] as const;

/** The environment variables tracing reads (ENV_NAMES), each optional. */
export type TracingEnv = { [Name in (typeof ENV_NAMES)[number]]?: string };

export interface TracingConfig {
  /** The full URL spans are POSTed to. */
  url: string;
  headers: Record<string, string>;
  serviceName: string;
}

const DEFAULT_SERVICE_NAME = "resolute";

/** This isolate's answers, by option, then by the variables' values. */
const answers = new Map<TracingOptions | false | undefined, Map<string, TracingConfig | undefined>>();

/**
 * The tracing configuration of a Worker, or undefined when tracing is off.
 * `false`: off whatever the environment says. Throws a TypeError for a bad URL in the
 * option (a coding error: createWorker fails); a bad URL in the environment turns
 * tracing off with a log line instead (every request would fail otherwise).
 * Worked out (and logged) once per isolate for the same option and values: every
 * Durable Object's construction asks, and the answer is shared (do not change it).
 */
export function tracingConfig(options: TracingOptions | false | undefined, env: TracingEnv): TracingConfig | undefined {
  let byValues = answers.get(options);
  if (!byValues) answers.set(options, (byValues = new Map()));
  const values = JSON.stringify(ENV_NAMES.map((name) => env[name] ?? null));
  if (byValues.has(values)) return byValues.get(values);
  const config = readTracingConfig(options, env);
  byValues.set(values, config);
  return config;
}

function readTracingConfig(options: TracingOptions | false | undefined, env: TracingEnv): TracingConfig | undefined {
  if (options === false || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return undefined;
  if (env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() === "none") return undefined;
  const url = tracesUrl(options, env);
  if (url === undefined) return undefined;
  const headers = { ...parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS), ...parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS), ...options?.headers };
  const serviceName = options?.serviceName ?? (env.OTEL_SERVICE_NAME?.trim() || DEFAULT_SERVICE_NAME);
  return { url, headers, serviceName };
}

/** Checks createWorker's option when the Worker is built (before any request). */
export function checkTracingOptions(options: TracingOptions | false | undefined): void {
  if (options && options.endpoint !== undefined) checkedUrl(traces(options.endpoint), "createWorker's tracing.endpoint");
}

function tracesUrl(options: TracingOptions | undefined, env: TracingEnv): string | undefined {
  if (options?.endpoint !== undefined) return checkedUrl(traces(options.endpoint), "createWorker's tracing.endpoint");
  const full = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const [url, from] = full ? [full, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] : base ? [traces(base), "OTEL_EXPORTER_OTLP_ENDPOINT"] : [];
  if (url === undefined) return undefined;
  try {
    return checkedUrl(url, from!);
  } catch (error) {
    console.warn(JSON.stringify({ level: "warn", message: `tracing is off: ${(error as Error).message}` }));
    return undefined;
  }
}

/** A base endpoint's traces URL, as OpenTelemetry's exporters build it. */
function traces(base: string): string {
  return `${base.replace(/\/+$/, "")}/v1/traces`;
}

function checkedUrl(url: string, from: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new TypeError(`${from} gives '${url}', which is not an http(s) URL: set the OTLP/HTTP collector's address, such as https://collector.example:4318`);
  }
  return parsed.href;
}

/** OTEL_EXPORTER_OTLP_HEADERS's format: `key1=value1,key2=value2`, values percent-encoded. */
export function parseHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of text?.split(",") ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    if (!name) continue;
    try {
      headers[name] = decodeURIComponent(raw);
    } catch {
      headers[name] = raw;
    }
  }
  return headers;
}
