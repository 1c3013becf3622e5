/**
 * The dashboard: one static page at /restate/admin/ui that drives the admin API
 * from the browser. The page holds no data; it asks for the admin token and
 * sends it as a bearer header on every API call (the token stays in the tab's
 * sessionStorage). Everything it shows is put in the page with textContent,
 * never parsed as HTML, and a strict Content-Security-Policy allows only its own
 * inline script and calls to this origin.
 */

import { LIMITS_HTML, LIMITS_SCRIPT } from "./dashboard-limits.js";

const CSP = [
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function dashboardResponse(): Response {
  return new Response(PAGE, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    },
  });
}

// The script below runs in the browser: plain ES2020, no imports, no innerHTML.
const SCRIPT = String.raw`
const $ = (id) => document.getElementById(id);
const API = location.pathname.replace(/ui\/?$/, "");
let token = sessionStorage.getItem("resolute-admin-token") || "";

function show(message, isError) {
  const status = $("status");
  status.textContent = message;
  status.className = isError ? "error" : "";
}

async function api(method, path, body) {
  const init = { method, headers: { authorization: "Bearer " + token, accept: "application/json" } };
  if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
  const response = await fetch(API + path, init);
  const text = await response.text();
  let answer;
  try { answer = text ? JSON.parse(text) : undefined; } catch { answer = text; }
  if (!response.ok) throw new Error(method + " " + path + ": " + response.status + " " + ((answer && answer.message) || text));
  return answer;
}

function cell(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A table of rows; onRow(row) makes a row clickable. */
function table(target, rows, columns, onRow) {
  const node = $(target);
  node.replaceChildren();
  if (!rows.length) { node.textContent = "(none)"; return; }
  const t = document.createElement("table");
  const head = t.createTHead().insertRow();
  for (const c of columns) { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); }
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const c of columns) tr.insertCell().textContent = cell(row[c]);
    if (onRow) { tr.className = "link"; tr.addEventListener("click", () => onRow(row)); }
  }
  node.appendChild(t);
}

async function guarded(work) {
  try { await work(); } catch (error) { show(error.message, true); }
}

async function connect() {
  token = $("token").value || token;
  sessionStorage.setItem("resolute-admin-token", token);
  const { services } = await api("GET", "services");
  const rows = services.map((s) => ({ name: s.name, type: s.ty, handlers: s.handlers.map((h) => h.name).join(", "), documentation: s.documentation }));
  table("services", rows, ["name", "type", "handlers", "documentation"], (row) => { $("service").value = row.name; $("key").focus(); });
  const select = $("service");
  select.replaceChildren();
  for (const s of services) { const o = document.createElement("option"); o.value = s.name; o.textContent = s.name + " (" + s.ty + ")"; select.appendChild(o); }
  const filter = $("f-service");
  filter.replaceChildren(new Option("any service", ""));
  for (const s of services) filter.appendChild(new Option(s.name, s.name));
  $("main").hidden = false;
  await listInvocations();
  await openLimits();
  show("connected: " + services.length + " services");
}

const quote = (text) => "'" + text.replace(/'/g, "''") + "'";

/** The deployment's invocations (the invocation index), filtered, newest first. */
async function listInvocations() {
  const where = [];
  if ($("f-service").value) where.push("target_service_name = " + quote($("f-service").value));
  if ($("f-handler").value.trim()) where.push("target_handler_name = " + quote($("f-handler").value.trim()));
  if ($("f-status").value) where.push("status = " + quote($("f-status").value));
  if ($("f-failing").checked) where.push("(last_failure IS NOT NULL OR completion_result = 'failure')");
  const prefix = $("f-key").value;
  if (prefix) where.push("substr(target_service_key, 1, " + prefix.length + ") = " + quote(prefix));
  if ($("f-since").value) where.push("created_at >= " + quote(new Date($("f-since").value).toISOString()));
  const query = "SELECT id, target, status, retry_count, last_failure, created_at, modified_at FROM sys_invocation" +
    (where.length ? " WHERE " + where.join(" AND ") : "") + " ORDER BY created_at DESC, id LIMIT 200";
  const { rows } = await api("POST", "query", { query });
  table("all", rows, ["id", "target", "status", "retry_count", "last_failure", "created_at", "modified_at"], (row) => guarded(() => openInvocation(row.id)));
  $("all-count").textContent = rows.length + " invocations" + (rows.length === 200 ? " (the newest 200)" : "");
}

function target() {
  return encodeURIComponent($("service").value) + "/" + encodeURIComponent($("key").value);
}

async function openObject() {
  const [state, list] = await Promise.all([api("GET", "objects/" + target() + "/state"), api("GET", "objects/" + target() + "/invocations")]);
  table("state", state.state, ["key", "value_utf8", "value_length"]);
  table("invocations", list.invocations, ["id", "target", "status", "retry_count", "created_at", "completed_at"], (row) => guarded(() => openInvocation(row.id)));
  show($("service").value + "/" + $("key").value + ": " + list.invocations.length + " invocations");
}

async function openInvocation(id) {
  const inv = await api("GET", "invocations/" + encodeURIComponent(id));
  $("detail").hidden = false;
  $("detail-id").textContent = inv.id;
  const fields = ["target", "status", "invoked_by", "idempotency_key", "retry_count", "last_failure", "next_retry_at", "created_at", "completed_at", "completion_result", "completion_failure"];
  table("summary", fields.filter((f) => inv[f] !== null && inv[f] !== undefined).map((f) => ({ field: f, value: inv[f] })), ["field", "value"]);
  table("journal", inv.journal.map((e) => ({ index: e.index, type: e.entry_type, name: e.name, completed: e.completed, result: e.failure || e.value_utf8 })), ["index", "type", "name", "completed", "result"]);
  show("invocation " + inv.id + ": " + inv.status);
}

async function control(action) {
  const id = $("detail-id").textContent;
  if (!confirm(action + " " + id + "?")) return;
  await api("PATCH", "invocations/" + encodeURIComponent(id) + "/" + action);
  if (action === "purge") { $("detail").hidden = true; show("purged " + id); return; }
  await openInvocation(id);
}

async function runQuery() {
  const answer = await api("POST", "objects/" + target() + "/query", { query: $("query").value });
  table("rows", answer.rows, answer.columns);
  show(answer.rows.length + " rows" + (answer.truncated ? " (truncated)" : ""));
}

$("token").value = token;
$("connect").addEventListener("click", () => guarded(connect));
$("open").addEventListener("click", () => guarded(openObject));
$("lookup").addEventListener("click", () => guarded(() => openInvocation($("invocation").value.trim())));
$("run").addEventListener("click", () => guarded(runQuery));
$("filter").addEventListener("click", () => guarded(listInvocations));
$("set-rule").addEventListener("click", () => guarded(setRule));
for (const action of ["cancel", "kill", "resume", "purge"]) $(action).addEventListener("click", () => guarded(() => control(action)));
if (token) guarded(connect);
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Resolute</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.5rem; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; font-family: ui-monospace, monospace; font-size: 12px; }
th { background: #f3f3f3; } tr.link { cursor: pointer; } tr.link:hover { background: #eef4ff; }
input, select, textarea, button { font: inherit; margin: .2rem; } textarea { width: 40rem; height: 4rem; font-family: ui-monospace, monospace; }
#status { margin: .5rem 0; color: #205; } #status.error { color: #a00; }
</style>
</head>
<body>
<h1>Resolute</h1>
<div><label>Admin token <input id="token" type="password" autocomplete="off"></label> <button id="connect">Connect</button></div>
<div id="status" role="status"></div>
<div id="main" hidden>
<h2>Services</h2><div id="services"></div>
<h2>Invocations across the deployment</h2>
<div><select id="f-service"></select> <label>handler <input id="f-handler" size="12"></label>
<select id="f-status"><option value="">any status</option><option>pending</option><option>scheduled</option><option>ready</option><option>running</option><option>suspended</option><option>backing-off</option><option>paused</option><option>completed</option></select>
<label><input id="f-failing" type="checkbox"> failing</label> <label>key starts with <input id="f-key" size="12"></label>
<label>created since <input id="f-since" type="datetime-local"></label> <button id="filter">List</button></div>
<div id="all-count"></div><div id="all"></div>
${LIMITS_HTML}
<h2>Object, workflow or service shard</h2>
<div><select id="service"></select> <label>key <input id="key"></label> <button id="open">Open</button></div>
<h3>State</h3><div id="state"></div>
<h3>Invocations</h3><div id="invocations"></div>
<h3>SQL over this object's storage</h3>
<div><textarea id="query">SELECT id, target, status, retry_count FROM sys_invocation ORDER BY created_at DESC</textarea><br><button id="run">Run</button></div>
<div id="rows"></div>
<h2>Invocation</h2>
<div><label>id <input id="invocation" size="60"></label> <button id="lookup">Show</button></div>
<div id="detail" hidden>
<p><code id="detail-id"></code> <button id="cancel">Cancel</button> <button id="kill">Kill</button> <button id="resume">Resume</button> <button id="purge">Purge</button></p>
<div id="summary"></div><h3>Journal</h3><div id="journal"></div>
</div>
</div>
<script>${SCRIPT}${LIMITS_SCRIPT}</script>
</body>
</html>`;
