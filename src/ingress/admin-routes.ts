/**
 * The admin API under /restate/admin: inspect invocations, journals and state;
 * cancel, kill, pause, resume, purge and restart as new. Requires `authorization: Bearer <RESOLUTE_ADMIN_TOKEN>`;
 * with no token configured the admin API is disabled.
 */
import { messageOf } from "../../sdk/errors.js";
import type { Registry } from "../engine/registry.js";
import { makeInvocationId } from "../engine/ids.js";
import { WORKFLOW_RUN_SUFFIX, knownOwnerOfKey, type TargetKinds } from "../engine/addressing.js";
import { MAX_LISTED, type AdminActionResult, type AdminRequest } from "../durable/admin.js";
import type { QueryOutcome } from "../durable/sql-bounds.js";
import { queryProblem } from "../durable/sql-views.js";
import { errorResponse, IngressError, jsonResponse } from "./responses.js";
import { dashboardResponse } from "./dashboard.js";
import { jsonRow, newStateOf, queryOf } from "./admin-bodies.js";
import { newRandomSuffix } from "./invocation-id.js";
import { checkUrlLength } from "./request.js";
import { echo } from "./limits.js";
import { keyLengthProblem, pathSegments } from "./target.js";
import { objectStub } from "./object-stub.js";
import { createRestateAdmin } from "./restate-admin.js";
import { invocationIdOf, showsRestateIds, shownAlias } from "./restate-ids.js";
import { createLimitRoutes } from "./limit-routes.js";

const ADMIN_PREFIX = "/restate/admin/";

/** Whether a path is the admin API's (`/restate/admin` and below): the admin answers it, never the ingress. */
export function isAdminPath(pathname: string): boolean {
  return pathname.startsWith(ADMIN_PREFIX) || pathname === ADMIN_PREFIX.slice(0, -1);
}

interface AdminEnv {
  RESOLUTE: DurableObjectNamespace;
  RESOLUTE_ADMIN_TOKEN?: string;
}

type AdminStub = { admin(request: AdminRequest): Promise<unknown> };

const json = (status: number, body: unknown): Response => jsonResponse(body, status);
const error = (status: number, message: string): Response => errorResponse(new IngressError(status, message));

/** Compares without leaking the position of the first difference through timing. */
function sameToken(given: string, expected: string): boolean {
  let diff = given.length ^ expected.length;
  for (let i = 0; i < Math.max(given.length, expected.length); i++) diff |= (given.charCodeAt(i) || 0) ^ (expected.charCodeAt(i) || 0);
  return diff === 0;
}

const DISABLED = "the admin API is disabled: set RESOLUTE_ADMIN_TOKEN to enable it";

function authorize(request: Request, env: AdminEnv): Response | undefined {
  const token = env.RESOLUTE_ADMIN_TOKEN;
  if (!token) return error(403, DISABLED);
  const header = request.headers.get("authorization") ?? "";
  // The scheme's name is case-insensitive (RFC 9110 §11.1): `bearer <token>` is the same credential.
  if (header.slice(0, 7).toLowerCase() !== "bearer " || !sameToken(header.slice(7), token)) return error(401, "missing or wrong admin token (authorization: Bearer <token>)");
  return undefined;
}

/** The admin API as a handler; `kinds` says which owners can exist (ids naming others are answered as unknown). */
export function createAdmin(registry: Registry, kinds: TargetKinds, workflowShards: number, indexShards: number) {
  const stubFor = (env: AdminEnv, owner: string) => objectStub<AdminStub>(env.RESOLUTE, owner, workflowShards);
  const restate = createRestateAdmin({ registry, kinds, workflowShards, indexShards });
  const limitRoute = createLimitRoutes(registry, workflowShards);

  return async function admin(request: Request, env: AdminEnv): Promise<Response> {
    // The dashboard page holds no data (it asks for the token), so a browser may load it
    // without one; it is there only while the admin API is enabled.
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === `${ADMIN_PREFIX}ui`) {
      return env.RESOLUTE_ADMIN_TOKEN ? dashboardResponse() : error(403, DISABLED);
    }
    const denied = authorize(request, env);
    if (denied) return denied;
    try {
      checkUrlLength(request.url);
      const all = adminPath(url.pathname);
      // Restate's CLI puts the admin API version after the base URL (`/v4/services`).
      const parts = /^v\d+$/.test(all[0] ?? "") ? all.slice(1) : all;
      const method = request.method;
      if (parts[0] === "limits") {
        const limits = await limitRoute(request, env, parts.slice(1), url);
        if (limits) return limits;
      }
      const answer = await restate(request, env, parts, `${url.origin}/`);
      if (answer) return answer;
      if (parts[0] === "invocations" && parts[1]) {
        // The id as given (a Resolute id or its Restate-format alias) in answers; the Resolute id to act on.
        const given = parts[1];
        const { invocationId, owner } = await invocationIdOf(given, kinds, env.RESOLUTE, indexShards);
        // A forged id naming an owner that cannot exist: unknown, as the object would answer, and no object made for it.
        if (owner === undefined) return error(404, method === "GET" ? "not found" : `invocation '${invocationId}' not found`);
        const stub = stubFor(env, owner);
        if (method === "GET" && parts.length === 2) {
          const found = await stub.admin({ op: "invocation", invocationId });
          return found ? json(200, found) : error(404, "not found");
        }
        const action = parts[2];
        if (method === "PATCH" && parts.length === 3 && action === "restart-as-new") {
          const from = Number(url.searchParams.get("from") ?? "0");
          if (!Number.isInteger(from) || from < 0) return error(400, `'from' must be a journal index (a whole number from 0), not '${url.searchParams.get("from")}'`);
          const newInvocationId = makeInvocationId(owner, newRandomSuffix());
          const result = (await stub.admin({ op: "restartAsNew", invocationId, newInvocationId, owner, from })) as AdminActionResult;
          if (!result.ok) return error(result.code, result.message);
          const created = result.invocationId ?? newInvocationId;
          return json(200, { new_invocation_id: showsRestateIds(request) ? await shownAlias(created) : created });
        }
        // Each action answers 404 for an unknown invocation and 409, with the reason, where its status does not allow it.
        if (method === "PATCH" && parts.length === 3 && (action === "cancel" || action === "kill" || action === "pause" || action === "resume" || action === "purge")) {
          const result = (await stub.admin({ op: action, invocationId })) as AdminActionResult;
          return result.ok ? json(202, { invocationId: given, action }) : error(result.code, result.message);
        }
      }
      // /restate/admin/objects/{service}/{key}/state|invocations  (key "0".."n-1" for service shards)
      if (method === "GET" && parts[0] === "objects" && parts.length === 4) {
        // A key the ingress refuses names no object: 400, not an empty object woken for it.
        const tooLong = keyLengthProblem(registry.service(parts[1]!), parts[2]!);
        if (tooLong) return error(400, tooLong);
        const owner = knownOwnerOfKey(kinds, parts[1]!, parts[2]!);
        if (!owner) return error(404, noTarget(registry, kinds, parts[1]!, parts[2]!));
        const stub = stubFor(env, owner);
        // A workflow id shares its object with other ids: its state is scoped by the id, its invocations filtered.
        const workflowId = registry.service(parts[1]!)?.kind === "workflow" ? parts[2]! : undefined;
        if (parts[3] === "state") return json(200, { state: await stub.admin({ op: "state", scope: workflowId ?? "" }) });
        if (parts[3] === "invocations") {
          // An object's are those of its key: the stateless calls it made run in it too (issue 14), and are not its.
          const key = registry.service(parts[1]!)?.kind === "service" ? undefined : parts[2]!;
          const listing: AdminRequest = { op: "invocations", ...listingFilters(url.searchParams), ...(key !== undefined ? { key } : {}) };
          return json(200, { invocations: await stub.admin(listing) });
        }
      }
      // POST /restate/admin/services/{service}/state {"object_key", "new_state": {name: [bytes]}}: Restate's state replace.
      if (method === "POST" && parts[0] === "services" && parts.length === 3 && parts[2] === "state") {
        const service = registry.service(parts[1]!);
        if (!service) return error(404, `service '${parts[1]}' not found`);
        if (service.kind === "service") return error(400, `'${parts[1]}' is a stateless service: it has no state`);
        const { key, state } = await newStateOf(request);
        const tooLong = keyLengthProblem(service, key);
        if (tooLong) return error(400, tooLong);
        const owner = knownOwnerOfKey(kinds, parts[1]!, key)!;
        const workflowRunId = service.kind === "workflow" ? makeInvocationId(owner, WORKFLOW_RUN_SUFFIX) : undefined;
        const replace: AdminRequest = { op: "replaceState", scope: service.kind === "workflow" ? key : "", state, ...(workflowRunId ? { workflowRunId } : {}) };
        const result = (await stubFor(env, owner).admin(replace)) as { ok: boolean; busy?: string };
        if (!result.ok) return error(409, `the state of ${parts[1]}/${key} is in use by invocation '${result.busy}': try again once it completes`);
        return new Response(null, { status: 202 });
      }
      // POST /restate/admin/objects/{service}/{key}/query {"query": "SELECT …"}: SQL over one object's storage.
      if (method === "POST" && parts[0] === "objects" && parts.length === 4 && parts[3] === "query") {
        const tooLong = keyLengthProblem(registry.service(parts[1]!), parts[2]!);
        if (tooLong) return error(400, tooLong);
        const owner = knownOwnerOfKey(kinds, parts[1]!, parts[2]!);
        if (!owner) return error(404, noTarget(registry, kinds, parts[1]!, parts[2]!));
        const query = await queryOf(request);
        const problem = queryProblem(query);
        if (problem) return error(400, problem);
        try {
          const result = (await stubFor(env, owner).admin({ op: "query", query, service: parts[1]!, key: parts[2]! })) as QueryOutcome;
          if ("refused" in result) return error(400, result.refused);
          return json(200, { ...result, rows: result.rows.map((row) => jsonRow(Object.entries(row), "kept")) });
        } catch (e) {
          return error(400, `query failed: ${messageOf(e)}`);
        }
      }
      return error(404, `no admin route ${method} ${echo(url.pathname)}`);
    } catch (e) {
      if (e instanceof IngressError) return errorResponse(e);
      return error(500, `admin request failed: ${messageOf(e)}`);
    }
  };
}

/** `?status=&handler=&limit=` of an object's listing; 400 for a limit that is no number from 1 to MAX_LISTED. */
function listingFilters(params: URLSearchParams): { status?: string; handler?: string; limit?: number } {
  const status = params.get("status") || undefined;
  const handler = params.get("handler") || undefined;
  const limitText = params.get("limit");
  const limit = limitText === null ? undefined : Number(limitText);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= MAX_LISTED)) {
    throw new IngressError(400, `'limit' must be a whole number from 1 to ${MAX_LISTED}, not ${echo(limitText!)}`);
  }
  return { ...(status ? { status } : {}), ...(handler ? { handler } : {}), ...(limit !== undefined ? { limit } : {}) };
}

/** Why `service`/`key` names no object: no such service, or a stateless service's shard that does not exist. */
function noTarget(registry: Registry, kinds: TargetKinds, service: string, key: string): string {
  if (!registry.service(service)) return `service '${service}' not found`;
  return `'${service}' is a stateless service spread over ${kinds.serviceShards} shards: its key is a shard number from 0 to ${kinds.serviceShards - 1}, not '${key}'`;
}

/** The URL-decoded segments after the admin prefix (empty ones dropped); 400 for bad percent-encoding. */
function adminPath(pathname: string): string[] {
  const segments = pathSegments(`/${pathname.slice(ADMIN_PREFIX.length)}`);
  if (!segments) throw new IngressError(400, `bad path: ${echo(pathname)} is not valid percent-encoded UTF-8`);
  return segments.filter(Boolean);
}

