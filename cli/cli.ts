/**
 * `resolute`: inspect and control a running Resolute Worker through its admin API
 * (`/restate/admin/...`, token-protected), with the command names of Restate's CLI.
 * `runCli` takes its environment as arguments, so tests run it in-process against
 * the real runtime.
 */
import { parseArgs } from "node:util";
import { fields, table } from "./render.js";
import { PROJECT_USAGE, runProjectCommand } from "./project.js";
import { LIMITS_USAGE, limitsCommand } from "./limits.js";
import { FLAG_OPTIONS, checkFlags, type Flags } from "./flags.js";
import { MAX_LISTED } from "../src/durable/admin.js";
import { MAX_QUERY_ROWS } from "../src/durable/sql-bounds.js";
import { quoteString } from "../src/durable/sql-text.js";

/** Most invocations a listing shows: what one admin query answers with, and one object's listing. */
const MAX_LIST = Math.min(MAX_QUERY_ROWS, MAX_LISTED);

export const USAGE = `resolute: start a Resolute project; inspect and control a running Worker through its admin API

Usage: resolute <command> [options]   (npx resolute …; in the Resolute repository npm run resolute -- …)

  services list                         services, their kinds and handlers
  services describe <service>           a service's handlers: kind, visibility, retry policy
  invocations list                      invocations across the deployment, newest first (from the
                                        invocation index) [--service S] [--handler H] [--status S]
                                        [--limit N, at most ${MAX_LIST}; default 100]; with --service S
                                        --key K: that object key's, workflow id's or stateless
                                        service shard's, read from its object (same filters)
  invocations describe <id>             status, retries, last failure and journal (alias: get)
  invocations cancel <id>               cancel: the next await throws CancelledError
  invocations kill <id>                 stop now, without compensation (409 "killed")
  invocations pause <id>                pause a running or backing-off invocation until resumed
  invocations resume <id>               resume a paused invocation (or skip a back-off)
  invocations purge <id>                delete a completed invocation and its journal: its
                                        idempotency key (or workflow id) can be used again
  invocations restart-as-new <id>       run a completed invocation again under a new id, same
                                        input [--from N: its first N journal entries replay]
  state get <service> <key>             an object's or a workflow's state
  state set <service> <key> '<json>'    replace it all: each field of the JSON object becomes
                                        one state entry (JSON-encoded, as handlers store them)
  state clear <service> <key>           remove it all (both refused while a handler may write it)
  sql "<query>"                         Restate's SQL across the deployment (POST /query):
                                        sys_invocation from the index; state, sys_journal,
                                        sys_promise, sys_inbox for the one object the query names
  sql --service S --key K "<query>"     a SELECT over one object's storage: Restate's views
                                        sys_invocation, sys_journal, state, sys_promise,
                                        sys_inbox, sys_keyed_service_status, and the raw tables
${LIMITS_USAGE}
${PROJECT_USAGE}

Options:
  --url <origin>    the Worker (default: $RESOLUTE_ADMIN_URL, else http://127.0.0.1:8787)
  --token <token>   the admin token (default: $RESOLUTE_ADMIN_TOKEN)
  --json            print the admin API's JSON answer instead of text
  --help            this text`;

export interface CliIo {
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
  fetch?: typeof fetch;
  /** Where `init` and `dev-vars` work. @default process.cwd() */
  cwd?: string;
}

/** Exit codes: 0 done, 1 the Worker refused or could not be reached, 2 a usage error. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseCommand>;
  try {
    const local = runProjectCommand(argv, { cwd: io.cwd ?? process.cwd(), out: io.out });
    if (local !== undefined) return local;
    parsed = parseCommand(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    io.out(USAGE);
    return 0;
  }
  const admin = new AdminApi(parsed.url ?? io.env.RESOLUTE_ADMIN_URL ?? "http://127.0.0.1:8787", parsed.token ?? io.env.RESOLUTE_ADMIN_TOKEN, io.fetch ?? fetch);
  try {
    const { answer, text } = await parsed.command(admin);
    io.out(parsed.json ? JSON.stringify(answer, null, 2) : text);
    return 0;
  } catch (error) {
    io.err(error instanceof AdminError ? error.message : `resolute: ${(error as Error).message}`);
    return 1;
  }
}

type Command = (admin: AdminApi) => Promise<{ answer: unknown; text: string }>;

function parseCommand(argv: readonly string[]): { command: Command; url?: string; token?: string; json: boolean; help: boolean } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
      ...FLAG_OPTIONS,
    },
  });
  const base = { ...(values.url ? { url: values.url } : {}), ...(values.token ? { token: values.token } : {}), json: values.json!, help: values.help! };
  if (values.help || positionals.length === 0) return { ...base, help: true, command: async () => ({ answer: null, text: "" }) };
  return { ...base, command: commandFor(positionals, values) };
}

function commandFor(words: readonly string[], flags: Flags): Command {
  const [noun, verb, ...rest] = words;
  checkFlags(noun === "sql" ? "sql" : `${noun} ${verb}`, flags);
  const limits = limitsCommand(words, flags);
  if (limits) return limits;
  if (noun === "sql") {
    if (words.length !== 2) throw new Error("'sql' takes one query (quote it)");
    if (flags.service === undefined && flags.key === undefined) return sqlCommand("query", verb!);
    if (!flags.service || flags.key === undefined) throw new Error("'sql' over one object's storage needs both --service and --key");
    return sqlCommand(`objects/${encodeURIComponent(flags.service)}/${encodeURIComponent(flags.key)}/query`, verb!);
  }
  const one = (what: string): string => {
    if (rest.length !== 1) throw new Error(`'${noun} ${verb}' takes ${what}`);
    return rest[0]!;
  };
  const two = (what: string): [string, string] => {
    if (rest.length !== 2) throw new Error(`'${noun} ${verb}' takes ${what}`);
    return [rest[0]!, rest[1]!];
  };
  switch (`${noun} ${verb}`) {
    case "services list":
    case "services ls":
      if (rest.length) throw new Error("'services list' takes no arguments");
      return listServices;
    case "services describe":
    case "services get":
      return describeService(one("a service name"));
    case "invocations list":
    case "invocations ls":
      if (rest.length) throw new Error("'invocations list' takes no arguments: filter with --service, --key, --handler, --status and --limit");
      return listInvocations(flags);
    case "invocations describe":
    case "invocations get":
      return describeInvocation(one("an invocation id"));
    case "invocations cancel":
    case "invocations kill":
    case "invocations pause":
    case "invocations resume":
    case "invocations purge":
      return controlInvocation(verb as Action, one("an invocation id"));
    case "invocations restart-as-new":
      return restartAsNew(one("an invocation id"), flags.from);
    case "state get":
      return getState(...two("a service name and a key"));
    case "state clear":
      return replaceState(...two("a service name and a key"), {});
    case "state set": {
      if (rest.length !== 3) throw new Error("'state set' takes a service name, a key and a JSON object");
      return replaceState(rest[0]!, rest[1]!, parseStateObject(rest[2]!));
    }
    default:
      throw new Error(`unknown command '${words.join(" ")}'`);
  }
}

interface ServiceView {
  name: string;
  ty: string;
  documentation?: string;
  handlers: { name: string; ty?: string; public: boolean; retry_policy?: unknown; documentation?: string }[];
}

/** Restate's type names (`VirtualObject`, `Exclusive`…) in the CLI's words; a plain service's handlers have none. */
const kindOf = (ty: string | undefined): string => ({ Service: "service", VirtualObject: "object", Workflow: "workflow" })[ty ?? ""] ?? ty?.toLowerCase() ?? "handler";

const listServices: Command = async (admin) => {
  const answer = (await admin.get("services")) as { services: ServiceView[] };
  const rows = answer.services.map((s) => ({ name: s.name, type: kindOf(s.ty), handlers: s.handlers.map((h) => h.name).join(", "), documentation: s.documentation }));
  return { answer, text: table(rows, ["name", "type", "handlers", "documentation"]) };
};

function describeService(name: string): Command {
  return async (admin) => {
    const { services } = (await admin.get("services")) as { services: ServiceView[] };
    const service = services.find((s) => s.name === name);
    if (!service) throw new AdminError(`resolute: no service '${name}' (known: ${services.map((s) => s.name).join(", ") || "none"})`);
    const rows = service.handlers.map((h) => ({ handler: h.name, type: kindOf(h.ty), public: h.public, retry: h.retry_policy, documentation: h.documentation }));
    return { answer: service, text: `${fields({ name: service.name, type: kindOf(service.ty), documentation: service.documentation }, ["name", "type", "documentation"])}\n\n${table(rows, ["handler", "type", "public", "retry", "documentation"])}` };
  };
}

const SUMMARY_COLUMNS = ["id", "target", "status", "retry_count", "created_at", "completed_at"] as const;

/**
 * `invocations list`: with --key, one object's invocations (its listing route, read from the
 * object); without, the deployment's (POST /query over the index). The same filters, newest
 * first, the same table, and the same words when nothing matches.
 */
function listInvocations(flags: Flags): Command {
  const { service, key, handler, status } = flags;
  if (flags.limit !== undefined && !(/^\d+$/.test(flags.limit) && Number(flags.limit) >= 1 && Number(flags.limit) <= MAX_LIST)) {
    throw new Error(`--limit takes a whole number from 1 to ${MAX_LIST}, not '${flags.limit}'`);
  }
  const limit = Number(flags.limit ?? 100);
  if (key !== undefined && !service) throw new Error("'invocations list --key' needs --service too (a stateless service's key is a shard number)");
  const of = service === undefined ? "" : ` of ${service}${key !== undefined ? `/${key}` : ""}`;
  const none = `no invocations${of}${handler !== undefined ? ` by handler ${handler}` : ""}${status !== undefined ? ` with status ${status}` : ""}`;
  const rowsOf = async (admin: AdminApi): Promise<{ answer: unknown; rows: Record<string, unknown>[] }> => {
    if (key !== undefined) {
      const query = new URLSearchParams({ ...(status !== undefined ? { status } : {}), ...(handler !== undefined ? { handler } : {}), limit: String(limit) });
      const answer = (await admin.get(`objects/${encodeURIComponent(service!)}/${encodeURIComponent(key)}/invocations?${query}`)) as { invocations: Record<string, unknown>[] };
      return { answer, rows: answer.invocations };
    }
    const where = [
      service !== undefined ? `target_service_name = ${quoteString(service)}` : undefined,
      handler !== undefined ? `target_handler_name = ${quoteString(handler)}` : undefined,
      status !== undefined ? `status = ${quoteString(status)}` : undefined,
    ].filter(Boolean);
    const query = `SELECT ${SUMMARY_COLUMNS.join(", ")} FROM sys_invocation${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id LIMIT ${limit}`;
    const answer = (await admin.post("query", { query })) as { rows: Record<string, unknown>[] };
    return { answer, rows: answer.rows };
  };
  return async (admin) => {
    const { answer, rows } = await rowsOf(admin);
    return { answer, text: rows.length ? table(rows, SUMMARY_COLUMNS) : none };
  };
}

/**
 * `sql`: the query POSTed to `path` (POST /query, or one object's SQL), its rows as a table
 * and their count. Columns: as the object's SQL lists them, else as the rows name them (POST
 * /query leaves nulls out, as Restate's does).
 */
function sqlCommand(path: string, query: string): Command {
  return async (admin) => {
    const answer = (await admin.post(path, { query })) as { columns?: string[]; rows: Record<string, unknown>[]; truncated?: boolean };
    const columns = answer.columns ?? [...new Set(answer.rows.flatMap((row) => Object.keys(row)))];
    const count = `${answer.rows.length} row${answer.rows.length === 1 ? "" : "s"}${answer.truncated ? " (truncated: more rows matched)" : ""}`;
    return { answer, text: answer.rows.length ? `${table(answer.rows, columns)}\n${count}` : count };
  };
}

function describeInvocation(id: string): Command {
  return async (admin) => {
    const answer = (await admin.get(`invocations/${encodeURIComponent(id)}`)) as Record<string, unknown> & { journal: Record<string, unknown>[] };
    const summary = fields(answer, ["id", "target", "status", "invoked_by", "idempotency_key", "retry_count", "last_failure", "next_retry_at", "created_at", "modified_at", "completed_at", "completion_result", "completion_failure"]);
    const journal = answer.journal.map((e) => ({ index: e.index, type: e.entry_type, name: e.name, completed: e.completed, result: e.failure ?? e.value_utf8 }));
    return { answer, text: `${summary}\n\njournal (${journal.length} entries):\n${journal.length ? table(journal, ["index", "type", "name", "completed", "result"]) : "(empty)"}` };
  };
}

type Action = "cancel" | "kill" | "pause" | "resume" | "purge";

function controlInvocation(action: Action, id: string): Command {
  return async (admin) => {
    const answer = await admin.patch(`invocations/${encodeURIComponent(id)}/${action}`);
    const done = { cancel: "cancellation requested for", kill: "killed", pause: "paused", resume: "resumed", purge: "purged" }[action];
    return { answer, text: `${done} ${id}` };
  };
}

function getState(service: string, key: string): Command {
  return async (admin) => {
    const answer = (await admin.get(`objects/${encodeURIComponent(service)}/${encodeURIComponent(key)}/state`)) as { state: { key: string; value_utf8: string; value_length: number }[] };
    const rows = answer.state.map((s) => ({ key: s.key, value: s.value_utf8, bytes: s.value_length }));
    return { answer, text: rows.length ? table(rows, ["key", "value", "bytes"]) : `no state for ${service}/${key}` };
  };
}

function restartAsNew(id: string, from?: string): Command {
  if (from !== undefined && !/^\d+$/.test(from)) throw new Error(`--from takes a journal index (0, 1, ...), not '${from}'`);
  return async (admin) => {
    const answer = (await admin.patch(`invocations/${encodeURIComponent(id)}/restart-as-new${from !== undefined ? `?from=${from}` : ""}`)) as { new_invocation_id: string };
    return { answer, text: `restarted ${id} as ${answer.new_invocation_id}` };
  };
}

function parseStateObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`'state set' needs a JSON object: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("'state set' needs a JSON object, e.g. '{\"count\": 7}'");
  return value as Record<string, unknown>;
}

function replaceState(service: string, key: string, values: Record<string, unknown>): Command {
  return async (admin) => {
    const encoder = new TextEncoder();
    const newState = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, [...encoder.encode(JSON.stringify(value))]]));
    const answer = await admin.post(`services/${encodeURIComponent(service)}/state`, { object_key: key, new_state: newState });
    const count = Object.keys(newState).length;
    return { answer: answer ?? null, text: count ? `state of ${service}/${key} replaced (${count} ${count === 1 ? "entry" : "entries"})` : `state of ${service}/${key} cleared` };
  };
}

/** The Worker answered with an error; the message is ready to print. */
class AdminError extends Error {}

class AdminApi {
  readonly #base: string;

  constructor(
    url: string,
    private readonly token: string | undefined,
    private readonly fetchFn: typeof fetch,
  ) {
    this.#base = `${url.replace(/\/+$/, "")}/restate/admin/`;
  }

  get(path: string): Promise<unknown> {
    return this.#request("GET", path);
  }

  patch(path: string): Promise<unknown> {
    return this.#request("PATCH", path);
  }

  post(path: string, body: unknown): Promise<unknown> {
    return this.#request("POST", path, JSON.stringify(body));
  }

  put(path: string, body: unknown): Promise<unknown> {
    return this.#request("PUT", path, JSON.stringify(body));
  }

  delete(path: string): Promise<unknown> {
    return this.#request("DELETE", path);
  }

  async #request(method: string, path: string, body?: string): Promise<unknown> {
    if (!this.token) throw new AdminError("resolute: no admin token: pass --token or set RESOLUTE_ADMIN_TOKEN (the Worker's secret of that name)");
    const url = this.#base + path;
    let response: Response;
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) };
      response = await this.fetchFn(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new AdminError(`resolute: cannot reach ${url} (${cause}): is the Worker running (npm run dev)?`);
    }
    const text = await response.text();
    let answer: unknown;
    try {
      answer = text ? JSON.parse(text) : undefined;
    } catch {
      answer = text;
    }
    if (!response.ok) {
      const message = (answer as { message?: unknown } | undefined)?.message;
      throw new AdminError(`resolute: ${method} ${url} answered ${response.status}: ${typeof message === "string" ? message : text.slice(0, 200)}`);
    }
    return answer;
  }
}
