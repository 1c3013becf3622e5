/**
 * The dashboard's limits section (issue 15): the declared limits with the rules over
 * them, a scope's limit keys (running, queued), one key's holders and queue, and a
 * rule set from the page. Browser script and HTML, joined into the page by
 * dashboard.ts; it uses that script's `api`, `table`, `guarded`, `show` and
 * `openInvocation`, and puts nothing in the page as HTML.
 */

export const LIMITS_SCRIPT = String.raw`
/** {concurrency, rate: {limit, per_ms}} as text. */
function limitsText(l) {
  if (!l) return "";
  const parts = [];
  if ("concurrency" in l) parts.push("concurrency " + (l.concurrency === null ? "unlimited" : l.concurrency));
  if ("rate" in l) parts.push(l.rate === null ? "rate unlimited" : "rate " + l.rate.limit + "/" + l.rate.per_ms + "ms");
  return parts.join(", ");
}

function scopePath(scope) {
  return "limits/scopes/" + scope.split("/").map(encodeURIComponent).join("/");
}

async function openLimits() {
  const { limits } = await api("GET", "limits");
  const rows = limits.map((l) => ({ scope: l.scope, handlers: l.handlers.join(", "), declared: limitsText(l.declared), rules: l.rules.map((r) => r.pattern + ": " + limitsText(r.limits) + (r.disabled ? " (disabled)" : "")).join("; ") }));
  table("limits", rows, ["scope", "handlers", "declared", "rules"], (row) => guarded(() => openScope(row.scope)));
}

async function openScope(scope) {
  const answer = await api("GET", scopePath(scope));
  $("pattern").value = scope;
  const rows = answer.keys.map((k) => ({ limit_key: k.limit_key, running: k.running, queued: k.queued, limits: limitsText(k.effective) }));
  table("limit-keys", rows, ["limit_key", "running", "queued", "limits"], (row) => guarded(() => openLimiter(scope, row.limit_key)));
  show(scope + ": " + rows.length + " limit keys" + (answer.next_after !== undefined ? " (first page)" : ""));
}

async function openLimiter(scope, key) {
  const view = await api("GET", scopePath(scope) + "?key=" + encodeURIComponent(key));
  const rows = [...view.holders.map((h) => ({ invocation_id: h.invocation_id, state: "running", since: h.since })), ...view.waiters.map((w) => ({ invocation_id: w.invocation_id, state: "queued", since: w.since }))];
  table("limiter", rows, ["invocation_id", "state", "since"], (row) => guarded(() => openInvocation(row.invocation_id)));
  show(scope + " key '" + key + "': " + limitsText(view.effective) + "; running " + view.running + ", queued " + view.queued);
}

async function setRule() {
  const value = $("rule-concurrency").value.trim();
  const concurrency = value === "" || value === "none" ? null : Number(value);
  await api("PUT", "limits/rules", [{ pattern: $("pattern").value.trim(), limits: { concurrency } }]);
  await openLimits();
  show("rule " + $("pattern").value + " set");
}
`;

export const LIMITS_HTML = `<h2>Limits</h2><div id="limits"></div>
<div><label>rule pattern <input id="pattern" size="30"></label> <label>concurrency <input id="rule-concurrency" size="6" placeholder="none"></label> <button id="set-rule">Set rule</button></div>
<h3>Limit keys</h3><div id="limit-keys"></div>
<h3>Holders and queue</h3><div id="limiter"></div>`;
