/**
 * The JSON of the limits admin API (issue 15): Restate 1.7's rule shape for
 * `PUT /limits/rules` (`[{pattern, limits, description, disabled, precondition}]`,
 * answered with `[{pattern, limits, disabled, version, last_modified_millis_since_epoch,
 * description}]`), with a `rate` dimension beside Restate's `concurrency`, and the
 * snake_case views of limits and limiters. Every problem is an IngressError (400).
 */
import { MAX_LIMIT, rateWindowMs, type Limits } from "../../sdk/flow-control.js";
import type { LimitRule, Precondition, RuleChange, RuleLimits } from "../engine/limit-rules.js";
import type { LimiterView, SlotEntry } from "../engine/limiter.js";
import { isoTime } from "../engine/iso-time.js";
import { IngressError } from "./responses.js";

const SHAPE =
  'the body must be a JSON array of rules: [{"pattern": "<service>[/<handler>][/<limit key>|/*]", "limits": {"concurrency": 10, "rate": {"limit": 100, "per": "1s"}}, ' +
  '"description"?: "…", "disabled"?: false, "precondition"?: {"type": "none" | "does_not_exist" | "matches", "version"?: 1}}]';

/** Most rules in one PUT. */
const MAX_RULES_PER_PUT = 100;

export function ruleChangesOf(body: unknown): RuleChange[] {
  if (!Array.isArray(body)) throw new IngressError(400, SHAPE);
  if (body.length > MAX_RULES_PER_PUT) throw new IngressError(400, `${body.length} rules in one request, more than the limit of ${MAX_RULES_PER_PUT}: send them in batches`);
  return body.map((entry, i) => ruleChangeOf(entry, `rule ${i}`));
}

function ruleChangeOf(entry: unknown, where: string): RuleChange {
  if (typeof entry !== "object" || entry === null) throw new IngressError(400, `${where}: ${SHAPE}`);
  const { pattern, limits, description, disabled, precondition } = entry as Record<string, unknown>;
  if (typeof pattern !== "string" || pattern === "") throw new IngressError(400, `${where}: 'pattern' must be a non-empty string`);
  if (description !== undefined && description !== null && typeof description !== "string") throw new IngressError(400, `${where}: 'description' must be a string`);
  if (disabled !== undefined && typeof disabled !== "boolean") throw new IngressError(400, `${where}: 'disabled' must be true or false`);
  return {
    pattern,
    limits: ruleLimitsOf(limits, `${where} ('${pattern}')`),
    ...(typeof description === "string" ? { description } : {}),
    ...(disabled !== undefined ? { disabled } : {}),
    ...(precondition !== undefined ? { precondition: preconditionOf(precondition, where) } : {}),
  };
}

function ruleLimitsOf(limits: unknown, where: string): RuleLimits {
  if (typeof limits !== "object" || limits === null || Array.isArray(limits)) throw new IngressError(400, `${where}: 'limits' must be an object such as {"concurrency": 10}`);
  const { concurrency, rate, ...rest } = limits as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new IngressError(400, `${where}: unknown limit '${unknown[0]}': the limits are 'concurrency' and 'rate'`);
  const out: RuleLimits = {};
  if (concurrency !== undefined) out.concurrency = concurrency === null ? null : count(concurrency, `${where}: limits.concurrency`);
  if (rate !== undefined) out.rate = rate === null ? null : rateOf(rate, `${where}: limits.rate`);
  return out;
}

function rateOf(rate: unknown, where: string): { limit: number; perMs: number } {
  if (typeof rate !== "object" || rate === null) throw new IngressError(400, `${where} must be {"limit": 100, "per": "1s"} or null`);
  const { limit, per, per_ms: perMs } = rate as Record<string, unknown>;
  try {
    return { limit: count(limit, `${where}.limit`), perMs: rateWindowMs(per ?? perMs, `${where}.per`) };
  } catch (e) {
    throw e instanceof IngressError ? e : new IngressError(400, (e as Error).message);
  }
}

function count(value: unknown, what: string): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_LIMIT) return value;
  throw new IngressError(400, `${what} must be a whole number from 1 to ${MAX_LIMIT} (or null: unlimited), got ${JSON.stringify(value)}`);
}

function preconditionOf(p: unknown, where: string): Precondition {
  const type = (p as { type?: unknown } | null)?.type;
  if (type === "none" || type === "does_not_exist") return { type };
  const version = (p as { version?: unknown }).version;
  if (type === "matches" && typeof version === "number" && Number.isInteger(version)) return { type, version };
  throw new IngressError(400, `${where}: 'precondition' must be {"type": "none"}, {"type": "does_not_exist"} or {"type": "matches", "version": <n>}`);
}

/** Limits as the admin API shows them: `{concurrency, rate: {limit, per_ms}}`, null for unlimited in a rule. */
export function limitsJson(limits: Limits | RuleLimits): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if ("concurrency" in limits && limits.concurrency !== undefined) out.concurrency = limits.concurrency;
  if ("rate" in limits && limits.rate !== undefined) out.rate = limits.rate === null ? null : { limit: limits.rate.limit, per_ms: limits.rate.perMs };
  return out;
}

/** Restate's rule response. */
export function ruleJson(rule: LimitRule): Record<string, unknown> {
  return {
    pattern: rule.pattern,
    limits: limitsJson(rule.limits),
    disabled: rule.disabled,
    version: rule.version,
    last_modified_millis_since_epoch: rule.modifiedAt,
    ...(rule.description !== undefined ? { description: rule.description } : {}),
  };
}

const entryJson = (e: SlotEntry) => ({ invocation_id: e.invocationId, since: isoTime(e.at) ?? null });

export function limiterJson(view: LimiterView): Record<string, unknown> {
  return {
    scope: view.scope,
    limit_key: view.key,
    declared: limitsJson(view.declared),
    rule: view.rule ? limitsJson(view.rule) : null,
    effective: limitsJson(view.effective),
    rules_known: view.rulesKnown,
    running: view.running,
    queued: view.queued,
    ...(view.startsInWindow !== undefined ? { starts_in_window: view.startsInWindow } : {}),
    holders: view.holders.map(entryJson),
    waiters: view.waiters.map(entryJson),
  };
}
