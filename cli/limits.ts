/**
 * The CLI's limits commands (issue 15), after Restate's `restate rules`:
 * `limits list`, `limits show <scope> [--key K]`, and `rules list|set|enable|disable|delete`.
 */
import { table } from "./render.js";

/** What the commands need from the admin API client. */
export interface LimitsAdmin {
  get(path: string): Promise<unknown>;
  put(path: string, body: unknown): Promise<unknown>;
  delete(path: string): Promise<unknown>;
}

export type LimitsCommand = (admin: LimitsAdmin) => Promise<{ answer: unknown; text: string }>;

export interface RuleFlags {
  key?: string;
  concurrency?: string;
  rate?: string;
  description?: string;
}

export const LIMITS_USAGE = `  limits list                           declared concurrency and rate limits, with the rules over them
  limits show <scope> [--key K]         a limit's keys with their running and queued counts; with
                                        --key, one key's holders and queue (scope: service or
                                        service/handler, as declared)
  rules list                            operators' rules (Restate's /limits/rules)
  rules set <pattern> [--concurrency N|none] [--rate N/1s|none] [--description D]
                                        create a rule or change the fields given (pattern: a
                                        scope for every key, or <scope>/<limit key>); none lifts
  rules enable|disable <pattern>        keep a rule but stop or resume applying it
  rules delete <pattern>                remove a rule: the code's limits apply again`;

type Json = Record<string, unknown>;
interface RuleJson {
  pattern: string;
  limits: Json;
  disabled: boolean;
  version: number;
  description?: string;
}

/** The options each of these commands takes (any other is refused: see cli.ts FLAGS). */
export const LIMITS_FLAGS: Record<string, readonly (keyof RuleFlags)[]> = {
  "limits list": [],
  "limits ls": [],
  "limits show": ["key"],
  "rules list": [],
  "rules ls": [],
  "rules set": ["concurrency", "rate", "description"],
  "rules enable": [],
  "rules disable": [],
  "rules delete": [],
  "rules rm": [],
};

/** The command for `words` (`limits …` or `rules …`), or undefined when they are not one. */
export function limitsCommand(words: readonly string[], flags: RuleFlags): LimitsCommand | undefined {
  const [noun, verb, ...rest] = words;
  const one = (what: string): string => {
    if (rest.length !== 1) throw new Error(`'${noun} ${verb}' takes ${what}`);
    return rest[0]!;
  };
  switch (`${noun} ${verb}`) {
    case "limits list":
    case "limits ls":
      return listLimits;
    case "limits show":
      return showLimit(one("a limit scope"), flags.key);
    case "rules list":
    case "rules ls":
      return listRules;
    case "rules set":
      return setRule(one("a pattern"), flags);
    case "rules enable":
    case "rules disable":
      return toggleRule(one("a pattern"), verb === "disable");
    case "rules delete":
    case "rules rm":
      return deleteRule(one("a pattern"));
    default:
      return undefined;
  }
}

/** `{concurrency: 2, rate: {limit, per_ms}}` as `concurrency 2, rate 5/1000ms`. */
function limitsText(limits: Json | undefined): string {
  if (!limits) return "";
  const parts: string[] = [];
  if ("concurrency" in limits) parts.push(`concurrency ${limits.concurrency ?? "unlimited"}`);
  const rate = limits.rate as { limit: number; per_ms: number } | null | undefined;
  if (rate !== undefined) parts.push(rate === null ? "rate unlimited" : `rate ${rate.limit}/${rate.per_ms}ms`);
  return parts.join(", ");
}

const listLimits: LimitsCommand = async (admin) => {
  const answer = (await admin.get("limits")) as { limits: { scope: string; handlers: string[]; declared: Json; rules: RuleJson[] }[] };
  const rows = answer.limits.map((l) => ({ scope: l.scope, handlers: l.handlers.join(", "), declared: limitsText(l.declared), rules: l.rules.map((r) => `${r.pattern}: ${limitsText(r.limits)}${r.disabled ? " (disabled)" : ""}`).join("; ") }));
  return { answer, text: rows.length ? table(rows, ["scope", "handlers", "declared", "rules"]) : "no service or handler declares a limit" };
};

function showLimit(scope: string, key: string | undefined): LimitsCommand {
  return async (admin) => {
    const path = `limits/scopes/${scope.split("/").map(encodeURIComponent).join("/")}`;
    if (key !== undefined) {
      const answer = (await admin.get(`${path}?key=${encodeURIComponent(key)}`)) as Json & { holders: Json[]; waiters: Json[] };
      const head = `${scope} key '${key}': ${limitsText(answer.effective as Json)} (code: ${limitsText(answer.declared as Json) || "none"}${answer.rule ? `; rule: ${limitsText(answer.rule as Json)}` : ""})\nrunning ${answer.running}, queued ${answer.queued}`;
      const holders = answer.holders.length ? `\n\nholding a slot:\n${table(answer.holders, ["invocation_id", "since"])}` : "";
      const waiters = answer.waiters.length ? `\n\nwaiting (first in line first):\n${table(answer.waiters, ["invocation_id", "since"])}` : "";
      return { answer, text: head + holders + waiters };
    }
    const answer = (await admin.get(path)) as { keys: Json[]; declared: Json; next_after?: string };
    const rows = answer.keys.map((k) => ({ limit_key: k.limit_key === "" ? "(none)" : k.limit_key, running: k.running, queued: k.queued, limits: limitsText(k.effective as Json) }));
    const more = answer.next_after !== undefined ? "\n(more keys: the admin API pages with ?after=)" : "";
    return { answer, text: rows.length ? table(rows, ["limit_key", "running", "queued", "limits"]) + more : `no invocation of ${scope} yet (declared: ${limitsText(answer.declared)})` };
  };
}

const listRules: LimitsCommand = async (admin) => {
  const answer = (await admin.get("limits/rules")) as RuleJson[];
  const rows = answer.map((r) => ({ pattern: r.pattern, limits: limitsText(r.limits), disabled: r.disabled, version: r.version, description: r.description }));
  return { answer, text: rows.length ? table(rows, ["pattern", "limits", "disabled", "version", "description"]) : "no rules: the limits the code declares apply" };
};

async function existing(admin: LimitsAdmin, pattern: string): Promise<RuleJson | undefined> {
  const normal = pattern.endsWith("/*") ? pattern.slice(0, -2) : pattern;
  return ((await admin.get("limits/rules")) as RuleJson[]).find((r) => r.pattern === normal);
}

/** `none` (unlimited) or a whole number. */
function concurrencyOf(text: string): number | null {
  if (text === "none") return null;
  if (!/^\d+$/.test(text)) throw new Error(`--concurrency takes a whole number or none, not '${text}'`);
  return Number(text);
}

/** `100/1s`, `5/500ms` or `none`. */
function rateOf(text: string): { limit: number; per: string } | null {
  if (text === "none") return null;
  const match = /^(\d+)\/(.+)$/.exec(text);
  if (!match) throw new Error(`--rate takes starts per window such as 100/1s, or none, not '${text}'`);
  return { limit: Number(match[1]), per: match[2]! };
}

function setRule(pattern: string, flags: RuleFlags): LimitsCommand {
  const concurrency = flags.concurrency === undefined ? undefined : concurrencyOf(flags.concurrency);
  const rate = flags.rate === undefined ? undefined : rateOf(flags.rate);
  if (concurrency === undefined && rate === undefined && flags.description === undefined) throw new Error("'rules set' needs --concurrency, --rate or --description");
  return async (admin) => {
    const before = await existing(admin, pattern);
    const limits: Json = { ...(before?.limits ?? {}), ...(concurrency !== undefined ? { concurrency } : {}), ...(rate !== undefined ? { rate } : {}) };
    const description = flags.description ?? before?.description;
    const answer = (await admin.put("limits/rules", [{ pattern, limits, ...(description !== undefined ? { description } : {}) }])) as RuleJson[];
    return { answer, text: answer.map((r) => `rule ${r.pattern}: ${limitsText(r.limits)} (version ${r.version})`).join("\n") };
  };
}

function toggleRule(pattern: string, disabled: boolean): LimitsCommand {
  return async (admin) => {
    const before = await existing(admin, pattern);
    if (!before) throw new Error(`no rule '${pattern}' (see 'rules list')`);
    const answer = await admin.put("limits/rules", [{ pattern: before.pattern, limits: before.limits, disabled }]);
    return { answer, text: `rule ${before.pattern} ${disabled ? "disabled: the code's limits apply" : "enabled"}` };
  };
}

function deleteRule(pattern: string): LimitsCommand {
  return async (admin) => {
    const answer = await admin.delete(`limits/rules/${pattern.split("/").map(encodeURIComponent).join("/")}`);
    return { answer: answer ?? null, text: `rule ${pattern} deleted` };
  };
}
