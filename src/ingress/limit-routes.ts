/**
 * The limits admin API (issue 15), under /restate/admin/limits:
 *
 * - `GET limits`: every declared limit (scope, handlers, the code's limits, the rules over it);
 * - `GET limits/scopes/{scope}`: one scope's rules and its limit keys with their running and
 *   queued counts (`?after=<key>` pages through the keys); `?key=<limit key>` instead shows
 *   one limiter: its limits, holders and queue;
 * - `GET|PUT limits/rules`, `DELETE limits/rules/{pattern}`: Restate 1.7's rule book.
 *
 * Rules live in one rule book object per scope, so a batch is atomic per scope.
 */
import type { Registry } from "../engine/registry.js";
import { limiterOwner, ruleBookOwner, type LimiterView } from "../engine/limiter.js";
import { resolvePattern, type LimitRule } from "../engine/limit-rules.js";
import type { LimitRulesAnswer, LimitsAdminView, UpsertAnswer } from "../durable/limiter-host.js";
import { IngressError, jsonResponse } from "./responses.js";
import { jsonBody } from "./admin-bodies.js";
import { limiterJson, limitsJson, ruleChangesOf, ruleJson } from "./limit-bodies.js";
import { objectStub } from "./object-stub.js";
import { echo } from "./limits.js";

type LimitsStub = { admin(view: LimitsAdminView): Promise<unknown> };

/** Largest body of a rules PUT. */
const MAX_RULES_BYTES = 64 * 1024;
/** Limit keys listed (and their limiters asked) per page of a scope. */
const KEYS_PER_PAGE = 100;

export function createLimitRoutes(registry: Registry, workflowShards: number) {
  const stub = (env: { RESOLUTE: DurableObjectNamespace }, owner: string) => objectStub<LimitsStub>(env.RESOLUTE, owner, workflowShards);
  const declaredScopes = registry.limitScopes();
  const scopes = () => declaredScopes;

  const rulesOf = async (env: { RESOLUTE: DurableObjectNamespace }, scope: string) => (await stub(env, ruleBookOwner(scope)).admin({ op: "limitRules", watchers: 0 })) as LimitRulesAnswer;

  /** `parts`: the admin path after `limits`. Undefined when no route matches. */
  return async function limitRoute(request: Request, env: { RESOLUTE: DurableObjectNamespace }, parts: string[], url: URL): Promise<Response | undefined> {
    const method = request.method;
    if (parts.length === 0 && method === "GET") {
      const limits = await Promise.all([...scopes()].map(async ([scope, { limits, handlers }]) => ({
        scope,
        handlers: handlers.map((h) => `${h.service}/${h.name}`),
        declared: limitsJson(limits),
        rules: (await rulesOf(env, scope)).rules.map(ruleJson),
      })));
      return jsonResponse({ limits }, 200);
    }
    if (parts[0] === "rules") return rulesRoute(request, env, parts.slice(1));
    if (parts[0] === "scopes" && parts.length > 1 && method === "GET") return scopeRoute(env, parts.slice(1).join("/"), url);
    return undefined;
  };

  async function rulesRoute(request: Request, env: { RESOLUTE: DurableObjectNamespace }, rest: string[]): Promise<Response | undefined> {
    if (rest.length === 0 && request.method === "GET") {
      const all = await Promise.all([...scopes().keys()].map((scope) => rulesOf(env, scope)));
      return jsonResponse(all.flatMap((a) => a.rules).map(ruleJson), 200);
    }
    if (rest.length === 0 && request.method === "PUT") return putRules(request, env);
    if (rest.length > 0 && request.method === "DELETE") {
      const pattern = rest.join("/");
      const target = resolved(pattern);
      const answer = (await stub(env, ruleBookOwner(target.scope)).admin({ op: "deleteLimitRule", scope: target.scope, pattern, key: target.key })) as { removed: boolean };
      if (!answer.removed) throw new IngressError(404, `no rule with pattern ${echo(pattern)}`);
      return new Response(null, { status: 204 });
    }
    return undefined;
  }

  async function putRules(request: Request, env: { RESOLUTE: DurableObjectNamespace }): Promise<Response> {
    const changes = ruleChangesOf(await jsonBody(request, MAX_RULES_BYTES, "the body must be a JSON array of rules"));
    const byScope = new Map<string, (typeof changes[number] & { key: string | null })[]>();
    for (const change of changes) {
      const target = resolved(change.pattern);
      byScope.set(target.scope, [...(byScope.get(target.scope) ?? []), { ...change, key: target.key }]);
    }
    const saved: LimitRule[] = [];
    for (const [scope, list] of byScope) {
      const answer = (await stub(env, ruleBookOwner(scope)).admin({ op: "upsertLimitRules", scope, changes: list })) as UpsertAnswer;
      if (!answer.ok) throw new IngressError(409, `${answer.message}${saved.length ? ` (the rules of the scopes before '${scope}' were saved: a batch is atomic per limit scope)` : ""}`);
      saved.push(...answer.rules);
    }
    return jsonResponse(saved.map(ruleJson), 200);
  }

  async function scopeRoute(env: { RESOLUTE: DurableObjectNamespace }, scope: string, url: URL): Promise<Response> {
    const declared = scopes().get(scope);
    if (!declared) throw new IngressError(404, `no declared limit '${scope}': the limits declared are ${[...scopes().keys()].map((s) => `'${s}'`).join(", ") || "none"}`);
    const key = url.searchParams.get("key");
    if (key !== null) {
      const view = (await stub(env, limiterOwner(scope, key)).admin({ op: "limiter" })) as LimiterView | null;
      if (!view) throw new IngressError(404, `limit key ${echo(key)} of '${scope}' has had no invocation`);
      return jsonResponse(limiterJson(view), 200);
    }
    const after = url.searchParams.get("after");
    const book = (await stub(env, ruleBookOwner(scope)).admin({ op: "limitRules", watchers: KEYS_PER_PAGE, ...(after !== null ? { watchersAfter: after } : {}) })) as LimitRulesAnswer;
    const keys = await Promise.all(book.watchers.map(async (k) => {
      const view = (await stub(env, limiterOwner(scope, k)).admin({ op: "limiter", listed: 0 })) as LimiterView | null;
      return { limit_key: k, running: view?.running ?? 0, queued: view?.queued ?? 0, effective: limitsJson(view?.effective ?? declared.limits) };
    }));
    return jsonResponse({
      scope,
      handlers: declared.handlers.map((h) => `${h.service}/${h.name}`),
      declared: limitsJson(declared.limits),
      rules: book.rules.map(ruleJson),
      keys,
      ...(book.watchers.length === KEYS_PER_PAGE ? { next_after: book.watchers[book.watchers.length - 1] } : {}),
    }, 200);
  }

  function resolved(pattern: string): { scope: string; key: string | null } {
    const target = resolvePattern(pattern, scopes().keys());
    if ("error" in target) throw new IngressError(400, target.error);
    return target;
  }
}
