/**
 * The parts of Restate's admin API that Restate's CLI needs first, under
 * Resolute's admin prefix (the CLI keeps the path of RESTATE_ADMIN_URL, e.g.
 * `https://worker.example/restate/admin`, and, once `GET /version` has told it
 * the API versions, puts `/v4` after it): `GET version`, `health`, `services`,
 * `services/{name}[/handlers[/{h}]]`, `deployments[/{id}]`, and `POST query`.
 * The invocation PATCH routes and the state replacement are admin-routes.ts'.
 * Answers `undefined` for anything else.
 */
import { messageOf } from "../../sdk/errors.js";
import type { RawQueryResult } from "../durable/sql-bounds.js";
import { checkedQuery } from "../durable/sql-views.js";
import { IngressError, jsonResponse } from "./responses.js";
import { BOOLEAN_COLUMNS, jsonRow, queryOf } from "./admin-bodies.js";
import { arrowStream, ARROW_STREAM_TYPE, type ArrowColumn, type ArrowType } from "./arrow.js";
import { createQueryRunner, type QueryConfig } from "./query-router.js";
import { aliasNotFound, resolveQueryAliases, showsRestateIds, withAliases } from "./restate-ids.js";
import { ADMIN_API_VERSIONS, DEPLOYMENT_ID, deploymentView, handlerView, serviceView } from "./restate-shapes.js";

interface Env {
  RESOLUTE: DurableObjectNamespace;
}

const notFound = (message: string) => new IngressError(404, message);

export function createRestateAdmin(config: QueryConfig) {
  const { registry } = config;
  const runQuery = createQueryRunner(config);
  // When this Worker instance first answered: the one deployment's creation time as far as it knows.
  let startedAt: string | undefined;

  return async function restateAdmin(request: Request, env: Env, parts: readonly string[], base: string): Promise<Response | undefined> {
    startedAt ??= new Date().toISOString();
    const method = request.method;
    const [first, second, third, fourth] = parts;
    if (method === "GET" && parts.length === 1 && first === "version") {
      return jsonResponse({ version: "1.7.12", min_admin_api_version: ADMIN_API_VERSIONS.min, max_admin_api_version: ADMIN_API_VERSIONS.max, ingress_endpoint: base, features: {} }, 200);
    }
    if (method === "GET" && parts.length === 1 && first === "health") return new Response(null, { status: 200 });
    if (method === "GET" && first === "services" && second !== undefined && parts.length <= 4) {
      const spec = registry.service(second);
      if (!spec) throw notFound(`The requested service '${second}' does not exist`);
      if (parts.length === 2) return jsonResponse(serviceView(spec), 200);
      if (third !== "handlers") return undefined;
      if (fourth === undefined) return jsonResponse({ handlers: [...spec.handlers.values()].map(handlerView) }, 200);
      const handler = spec.handlers.get(fourth);
      if (!handler) throw notFound(`The requested handler '${fourth}' does not exist in service '${second}'`);
      return jsonResponse(handlerView(handler), 200);
    }
    if (method === "GET" && first === "services" && parts.length === 1) {
      return jsonResponse({ services: registry.serviceNames().map((name) => serviceView(registry.service(name)!)) }, 200);
    }
    if (method === "GET" && first === "deployments" && parts.length <= 2) {
      if (second === undefined) return jsonResponse({ deployments: [deploymentView(registry, base, startedAt, "names")] }, 200);
      if (second !== DEPLOYMENT_ID) throw notFound(`The requested deployment '${second}' does not exist: this Worker is the one deployment, ${DEPLOYMENT_ID}`);
      return jsonResponse(deploymentView(registry, base, startedAt, "full"), 200);
    }
    if (method === "POST" && parts.length === 1 && first === "query") {
      // Read (tokenized) once here: the alias resolution and the planner work on these tokens.
      const query = checkedQuery(await queryOf(request));
      if ("refused" in query) throw new IngressError(400, query.refused);
      const deployment = { id: DEPLOYMENT_ID, endpoint: base, createdAt: startedAt };
      const resolved = await resolveQueryAliases(query, env.RESOLUTE, config.indexShards);
      let result: RawQueryResult;
      try {
        result = await runQuery(resolved.query, deployment, env.RESOLUTE);
      } catch (e) {
        const message = messageOf(e);
        // A query that fails where it names an unknown alias most likely fails because of it.
        const why = resolved.unresolved[0] !== undefined ? ` (${aliasNotFound(resolved.unresolved[0], config.indexShards)})` : "";
        if (e instanceof IngressError) throw why ? new IngressError(e.code, `${message}${why}`) : e;
        throw new IngressError(400, `query failed: ${message}${why}`);
      }
      if (showsRestateIds(request)) result = await withAliases(result);
      return queryAnswer(result, request.headers.get("accept") ?? "");
    }
    return undefined;
  };
}

/**
 * As Restate answers: `{"rows": [{column: value}]}` for `accept: application/json` (nulls
 * left out, bytes as hex, booleans as booleans), else an Arrow IPC stream. A truncated
 * answer says so in a header (Restate's bound is the client's LIMIT).
 */
function queryAnswer(result: RawQueryResult, accept: string): Response {
  const headers: Record<string, string> = result.truncated ? { "x-resolute-truncated": "true" } : {};
  if (accept.includes("application/json")) {
    const rows = result.rows.map((row) => jsonRow(result.columns.map((column, i) => [column, row[i]] as const), "left out"));
    return jsonResponse({ rows }, 200, headers);
  }
  const columns: ArrowColumn[] = result.columns.map((name, i) => {
    const values = result.rows.map((row) => row[i]);
    return { name, type: arrowType(name, values), values: values.map((v) => (BOOLEAN_COLUMNS.has(name) && typeof v === "number" ? v !== 0 : v)) };
  });
  return new Response(arrowStream(columns), { status: 200, headers: { "content-type": ARROW_STREAM_TYPE, ...headers } });
}

function arrowType(name: string, values: readonly unknown[]): ArrowType {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (BOOLEAN_COLUMNS.has(name) && present.every((v) => v === 0 || v === 1)) return "bool";
  if (present.length && present.every((v) => v instanceof ArrayBuffer)) return "binary";
  if (present.length && present.every((v) => typeof v === "number")) return present.every((v) => Number.isInteger(v)) ? "int64" : "float64";
  return "utf8";
}
