/**
 * The router Worker's ingress: parse the path into a target, check the
 * request, compute the invocation id, forward to the owning Durable Object,
 * render. All errors become responses in `errorResponse`.
 *
 * `/restate/admin/...` is not handled here: `createIngressRouter(...).fetch`
 * resolves to undefined for it, so admin can be mounted before or after, e.g.
 * `Router().all("/restate/admin/*", admin.fetch).all("*", ingress.fetch)`.
 */
import { Router, type IRequest } from "itty-router";
import type { Completion } from "../engine/types.js";
import type { TargetKinds } from "../engine/addressing.js";
import { WORKFLOW_RUN_SUFFIX, isKnownOwner } from "../engine/addressing.js";
import { awakeableNotFound, makeInvocationId, ownerName, parseAwakeableId } from "../engine/ids.js";
import type { Registry } from "../engine/registry.js";
import type { InvokeRequest, LookupExpectation, ObjectRpc } from "../durable/protocol.js";
import { invocationIdFor, ownerOfInvocationId, targetKinds, type InvocationAddress } from "./invocation-id.js";
import { echo } from "./limits.js";
import { checkLimitKey, checkUrlLength, forwardedHeaders, idempotencyKeyOf, parseDelay, readBody, splitUrl, type RequestUrl } from "./request.js";
import { checkInput } from "./input.js";
import { IngressError, errorResponse, jsonResponse, lookupResponse, receiptResponse, resultResponse } from "./responses.js";
import { parseTarget, pathSegments, type IngressTarget } from "./target.js";
import { objectStub } from "./object-stub.js";
import { isAdminPath } from "./admin-routes.js";

export interface IngressOptions {
  registry: Registry;
  /** How many executor objects stateless services are spread over. */
  serviceShards: number;
  /** See WorkerConfig.workflowShards. */
  workflowShards: number;
  /** Largest request body accepted (413 above). */
  maxBodyBytes: number;
}

export interface IngressEnv {
  RESOLUTE: DurableObjectNamespace;
}

/**
 * `url`: the request's path and query when the caller already split them (createWorker does, to
 * route admin paths): `request.url` is then neither read nor split a second time.
 */
export type IngressHandler = (request: Request, env: IngressEnv, url?: RequestUrl) => Promise<Response>;

type Invoke = Extract<IngressTarget, { type: "invoke" }>;
type Lookup = Extract<IngressTarget, { type: "attach" | "output" | "workflowAttach" | "workflowOutput" }>;
type Awakeable = Extract<IngressTarget, { type: "awakeable" }>;

interface Ctx {
  options: IngressOptions;
  kinds: TargetKinds;
  env: IngressEnv;
  query: URLSearchParams | undefined;
}

/** Methods each kind of target answers; anything else is a 405. */
const ALLOWED_METHODS: Record<IngressTarget["type"], readonly string[]> = {
  // Restate accepts GET for invocations too (the input is then empty).
  invoke: ["POST", "GET"],
  attach: ["GET"],
  output: ["GET"],
  workflowAttach: ["GET"],
  workflowOutput: ["GET"],
  awakeable: ["POST"],
  health: ["GET"],
  invalid: [],
};

/**
 * The ingress as a complete handler for requests that are not the admin API's: every request
 * gets a Response. createWorker sends `/restate/admin/...` to the admin before (it checks the
 * path once); a path under it that arrives here anyway is answered as no route.
 */
export function createIngress(options: IngressOptions): IngressHandler {
  // Not through itty-router: its one catch-all route parsed the URL a second time (`new URL`,
  // its query, a RegExp) on every request, only to catch errors (issue 14: ingress CPU on a hot key).
  const handle = createHandler(options);
  return async (request, env, url) => {
    try {
      return await handle(request, env, url);
    } catch (error) {
      return caught(error);
    }
  };
}

/** The ingress as an itty-router whose `fetch` resolves to undefined for `/restate/admin/...`. */
export function createIngressRouter(options: IngressOptions) {
  const handle = createHandler(options);
  return Router<IRequest, [IngressEnv]>({ catch: caught }).all("*", (request, env) => (isAdminPath(splitUrl(request.url).pathname) ? undefined : handle(request, env)));
}

function caught(error: unknown): Response {
  if (!(error instanceof IngressError)) console.error("ingress: unexpected error", error);
  return errorResponse(error);
}

function createHandler(options: IngressOptions): IngressHandler {
  const kinds = targetKinds(options.registry, options.serviceShards);
  return async (request, env, url) => {
    const { href, pathname, query } = url ?? splitUrl(request.url);
    checkUrlLength(href);
    const segments = pathSegments(pathname);
    if (!segments) throw new IngressError(400, `bad path: ${echo(pathname)} is not valid percent-encoded UTF-8`);
    const target = parseTarget(segments, options.registry);
    if (target.type === "invalid") throw new IngressError(target.status, target.message);
    checkMethod(target, request.method);
    const ctx: Ctx = { options, kinds, env, query };
    switch (target.type) {
      case "invoke":
        return invoke(ctx, request, target);
      case "awakeable":
        return completeAwakeable(ctx, request, target);
      case "health":
        return jsonResponse({ status: "ok" }, 200);
      default:
        return lookup(ctx, target);
    }
  };
}

function checkMethod(target: IngressTarget, method: string): void {
  const allowed = ALLOWED_METHODS[target.type];
  if (allowed.includes(method)) return;
  throw new IngressError(405, `method ${method} not allowed here: use ${allowed.join(" or ")}`, { headers: { allow: allowed.join(", ") } });
}

async function invoke(ctx: Ctx, request: Request, target: Invoke): Promise<Response> {
  const { service, handler, key } = target;
  // parseTarget only yields handlers that exist.
  const spec = ctx.options.registry.handler(service, handler)!;
  // Decision: a private handler answers 404 with a message that says so,
  // rather than pretending it does not exist. The handler set is code, not a
  // secret, and "not found" for a handler in the source misleads developers.
  if (spec.ingressPrivate) throw new IngressError(404, `handler '${service}/${handler}' is private: it can only be called from other handlers`);
  const delayMs = parseDelay(ctx.query, target.send);
  const requestHeaders = request.headers;
  const idempotencyKey = idempotencyKeyOf(requestHeaders);
  // Only a target with limits reads the key (it travels in the headers): the others pay nothing.
  if (spec.limit) checkLimitKey(requestHeaders);
  const headers = forwardedHeaders(requestHeaders);
  const input = await readBody(request, ctx.options.maxBodyBytes);
  // content-type is always forwarded: its value from there, not read from the request again.
  checkInput(spec, headers["content-type"] ?? null, input);
  const engineTarget = { service, handler, ...(key !== undefined ? { key } : {}) };
  const { owner, invocationId } = invocationIdFor(ctx.kinds, engineTarget, idempotencyKey);
  const req: InvokeRequest = {
    owner,
    invocationId,
    target: engineTarget,
    input,
    headers,
    invokedBy: "ingress",
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    ...(delayMs !== undefined ? { delayMs } : {}),
  };
  const stub = stubFor(ctx, owner);
  return target.send ? receiptResponse(await stub.send(req)) : resultResponse(await stub.invoke(req));
}

async function lookup(ctx: Ctx, target: Lookup): Promise<Response> {
  const address = lookupAddress(ctx.kinds, target);
  const wait = target.type === "attach" || target.type === "workflowAttach";
  // An id whose owner cannot exist was not issued here: answered without waking (creating) an object.
  if (!isKnownOwner(ctx.kinds, address.owner)) return lookupResponse({ state: "unknown" }, address.invocationId, wait ? "attach" : "output");
  const stub = stubFor(ctx, address.owner);
  // By idempotency key, the owner checks the row is this target's and key's (ids are hashes: admission.ts).
  const expected: [] | [LookupExpectation] = "by" in target && target.by === "idempotency" ? [lookupExpectation(target)] : [];
  const found = wait ? await stub.attach(address.owner, address.invocationId, ...expected) : await stub.output(address.owner, address.invocationId, ...expected);
  return lookupResponse(found, address.invocationId, wait ? "attach" : "output");
}

function lookupExpectation(target: Extract<Lookup, { by: "idempotency" }>): LookupExpectation {
  const { service, handler, key, idempotencyKey } = target;
  return { target: { service, handler, ...(key !== undefined ? { key } : {}) }, idempotencyKey };
}

/** Where the looked-up invocation lives; 400 when an id is not one of ours. */
function lookupAddress(kinds: TargetKinds, target: Lookup): InvocationAddress {
  if ("workflow" in target) {
    const owner = ownerName("w", target.workflow, target.id);
    return { owner, invocationId: makeInvocationId(owner, WORKFLOW_RUN_SUFFIX) };
  }
  if (target.by === "id") return { owner: ownerOfInvocationId(target.invocationId), invocationId: target.invocationId };
  const { target: engineTarget, idempotencyKey } = lookupExpectation(target);
  return invocationIdFor(kinds, engineTarget, idempotencyKey);
}

async function completeAwakeable(ctx: Ctx, request: Request, target: Awakeable): Promise<Response> {
  const address = parseAwakeableId(target.id);
  if ("error" in address) throw new IngressError(400, address.error);
  if (!isKnownOwner(ctx.kinds, address.owner)) throw new IngressError(404, awakeableNotFound(target.id));
  const body = await readBody(request, ctx.options.maxBodyBytes);
  const completion: Completion = target.action === "resolve" ? { value: body } : { failure: rejection(body) };
  // The owner checks the id's secret against the awakeable's entry: a forged id completes nothing.
  const traceparent = request.headers.get("traceparent") ?? undefined;
  const verdict = await stubFor(ctx, address.owner).completeAwakeable(address, completion, traceparent);
  if (verdict === "refused") throw new IngressError(404, awakeableNotFound(target.id));
  return new Response(null, { status: 202 });
}

/** A reject's body is the reason; the awaiting handler sees a TerminalError (500). */
function rejection(body: Uint8Array) {
  const reason = new TextDecoder().decode(body);
  return { name: "TerminalError", message: reason || "awakeable rejected", code: 500 };
}

function stubFor(ctx: Ctx, owner: string): ObjectRpc {
  return objectStub(ctx.env.RESOLUTE, owner, ctx.options.workflowShards);
}
