/**
 * One structured log line (JSON on one line), the form of every line the runtime
 * and `ctx.console` write about an invocation: Workers Logs and `wrangler tail`
 * index its fields, so an operator can filter by invocation id, target or trace.
 */
import type { LogLevel } from "../engine/types.js";

/** What a line is about: the invocation, its target and attempt, and its trace when tracing is on. */
export interface LogContext {
  invocationId: string;
  /** `service/handler` or `service/key/handler`, as Restate writes targets. */
  target?: string;
  /** The attempt (from 1) the line was written in. */
  attempt?: number;
  traceId?: string;
  spanId?: string;
}

export function formatLogLine(level: LogLevel, about: LogContext, args: readonly unknown[]): string {
  const message = args.map((a) => (typeof a === "string" ? a : a instanceof Error ? (a.stack ?? `${a.name}: ${a.message}`) : safeJson(a))).join(" ");
  return JSON.stringify({ level, ...about, message });
}

export function writeLogLine(level: LogLevel, about: LogContext, args: readonly unknown[]): void {
  console[level === "debug" ? "log" : level](formatLogLine(level, about, args));
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
