/**
 * The CLI's options after the command (--service, --key, --limit…): which command takes
 * which, so that an option a command would ignore is refused instead.
 */
import { LIMITS_FLAGS } from "./limits.js";

/** The options commands take besides --url, --token, --json and --help, each with a value: the one list. */
const FLAG_NAMES = ["service", "key", "status", "handler", "limit", "from", "concurrency", "rate", "description"] as const;
type FlagName = (typeof FLAG_NAMES)[number];

export type Flags = { [F in FlagName]?: string };

/** FLAG_NAMES as node:util parseArgs options. */
export const FLAG_OPTIONS = Object.fromEntries(FLAG_NAMES.map((flag) => [flag, { type: "string" }])) as { [F in FlagName]: { type: "string" } };

/** The options each command takes besides --url, --token, --json and --help: any other is refused, never ignored. */
const FLAGS: Record<string, readonly FlagName[]> = {
  ...LIMITS_FLAGS,
  sql: ["service", "key"],
  "invocations list": ["service", "key", "handler", "status", "limit"],
  "invocations ls": ["service", "key", "handler", "status", "limit"],
  "invocations restart-as-new": ["from"],
  ...Object.fromEntries(
    ["services list", "services ls", "services describe", "services get", "invocations describe", "invocations get", "invocations cancel", "invocations kill", "invocations pause", "invocations resume", "invocations purge", "state get", "state clear", "state set"].map((c) => [c, []]),
  ),
};

/** Refuses an option a known command does not take (a filter silently ignored would show the wrong rows). */
export function checkFlags(command: string, flags: Flags): void {
  const taken = FLAGS[command];
  if (taken === undefined) return; // an unknown command: refused as such
  const extra = FLAG_NAMES.filter((flag) => flags[flag] !== undefined && !taken.includes(flag));
  if (extra.length === 0) return;
  const takes = taken.length ? `it takes ${taken.map((f) => `--${f}`).join(", ")}` : "it takes no options but --url, --token and --json";
  throw new Error(`'${command}' does not take ${extra.map((f) => `--${f}`).join(", ")}: ${takes}`);
}
