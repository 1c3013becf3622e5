/**
 * Turns an ingress URL path into a tagged union of what the request is for.
 * Pure: no I/O. Uses the registry only to tell apart paths whose shape depends
 * on the kind of service (`/{svc}/{handler}/send` vs `/{obj}/{key}/{handler}`)
 * and to answer unknown services and handlers with a helpful 404. As Restate
 * 1.7 does, a path of the wrong shape is a 400 ("bad path"), an unknown name a 404.
 */
import type { Registry, ServiceSpec } from "../engine/registry.js";
import { MAX_KEY_BYTES, MAX_IDEMPOTENCY_KEY_BYTES, echo, utf8Length } from "./limits.js";

/** What an ingress request asks for. */
export type IngressTarget =
  | { type: "invoke"; service: string; key?: string; handler: string; send: boolean }
  | { type: "attach" | "output"; by: "id"; invocationId: string }
  | { type: "attach" | "output"; by: "idempotency"; service: string; key?: string; handler: string; idempotencyKey: string }
  | { type: "workflowAttach" | "workflowOutput"; workflow: string; id: string }
  | { type: "awakeable"; id: string; action: "resolve" | "reject" }
  | { type: "health" }
  | { type: "invalid"; status: 400 | 404; message: string };

/** First path segment of the ingress's own API; users cannot name a service `restate`. */
export const RESTATE_SEGMENT = "restate";

const SEND_SEGMENT = "send";

/**
 * Splits a URL pathname into URL-decoded segments (`/counter/a%2Fb/add` →
 * `["counter", "a/b", "add"]`). A trailing slash is ignored; empty segments in
 * the middle are kept (an empty object key is a key). Returns undefined when a
 * segment is not valid percent-encoding.
 */
export function pathSegments(pathname: string): string[] | undefined {
  const raw = pathname.split("/").slice(1);
  if (raw[raw.length - 1] === "") raw.pop();
  // Without a `%` no segment has anything to decode (most paths: issue 14, CPU per request).
  if (!pathname.includes("%")) return raw;
  try {
    return raw.map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

/** Parses URL-decoded path segments into a target. */
export function parseTarget(segments: readonly string[], registry: Registry): IngressTarget {
  const [first, ...rest] = segments;
  if (first === undefined || rest.length === 0) {
    return badPath(`bad path: /${first ?? ""}: call /{service}/{handler}, /{object}/{key}/{handler} or /{workflow}/{id}/run`);
  }
  if (first === RESTATE_SEGMENT) return parseRestatePath(rest, registry);
  return parseInvokePath(first, rest, registry);
}

/** The 404 message for a service that is not registered (Restate's wording, plus the known names). */
export function unknownServiceMessage(name: string, registry: Registry): string {
  const known = registry.serviceNames();
  const list = known.length > 0 ? known.join(", ") : "(none)";
  return `service '${name}' not found, make sure to register the service before calling it. Known services: ${list}`;
}

function parseInvokePath(name: string, rest: readonly string[], registry: Registry): IngressTarget {
  const service = registry.service(name);
  if (!service) return notFound(unknownServiceMessage(name, registry));
  // Services take /{handler}; objects and workflows /{key}/{handler}. The arity
  // decides whether a trailing "send" is the one-way marker or a handler name.
  const arity = service.kind === "service" ? 1 : 2;
  const send = rest.length === arity + 1 && rest[arity] === SEND_SEGMENT;
  if (rest.length !== arity && !send) return badPath(shapeMessage(service));
  const handler = rest[arity - 1]!;
  const missing = handlerProblem(service, handler);
  if (missing) return notFound(missing);
  const key = arity === 2 ? rest[0]! : undefined;
  if (key !== undefined && utf8Length(key) > MAX_KEY_BYTES) return badPath(keyTooLong(service, key));
  return { type: "invoke", service: name, ...(key !== undefined ? { key } : {}), handler, send };
}

const INVOKE_SHAPES = "bad path, expected either /:service-name/:handler or /:object-name/:object-key/:handler";

function shapeMessage(service: ServiceSpec): string {
  if (service.kind === "service") return `${INVOKE_SHAPES}: call /${service.name}/{handler} or /${service.name}/{handler}/send`;
  const keyWord = service.kind === "object" ? "key" : "id";
  const kindWord = service.kind === "object" ? "virtual object" : "workflow";
  return `${INVOKE_SHAPES}: '${service.name}' is a ${kindWord}, call /${service.name}/{${keyWord}}/{handler} or /${service.name}/{${keyWord}}/{handler}/send`;
}

function keyTooLong(service: ServiceSpec, key: string): string {
  const what = service.kind === "workflow" ? "workflow id" : "object key";
  return `the ${what} ${echo(key)} has ${utf8Length(key)} bytes, more than the limit of ${MAX_KEY_BYTES}`;
}

/** Why `key` cannot name an object or workflow of `service` (over MAX_KEY_BYTES), for routes that take a key outside an ingress path (the admin API). */
export function keyLengthProblem(service: ServiceSpec | undefined, key: string): string | undefined {
  return service && service.kind !== "service" && utf8Length(key) > MAX_KEY_BYTES ? keyTooLong(service, key) : undefined;
}

/** Why `handler` cannot be addressed on `service`, or undefined when it exists. */
function handlerProblem(service: ServiceSpec, handler: string): string | undefined {
  if (service.handlers.has(handler)) return undefined;
  const known = [...service.handlers.keys()].join(", ") || "(none)";
  return `handler '${service.name}/${handler}' not found. Handlers of '${service.name}': ${known}`;
}

function parseRestatePath(rest: readonly string[], registry: Registry): IngressTarget {
  const [area, ...args] = rest;
  switch (area) {
    case "health":
      return args.length === 0 ? { type: "health" } : noRoute(rest);
    case "invocation":
      return parseInvocationPath(args, registry) ?? noRoute(rest);
    case "workflow":
      return parseWorkflowPath(args, registry) ?? noRoute(rest);
    case "awakeables":
    case "a":
      return parseAwakeablePath(args) ?? noRoute(rest);
    default:
      return noRoute(rest);
  }
}

const INVOCATION_SHAPES =
  "bad path, expected either /restate/invocation/:invocation_id/output or /restate/invocation/:invocation_id/attach or " +
  "/restate/invocation/:invocation_target/:idempotency_key/output or /restate/invocation/:invocation_target/:idempotency_key/attach";

/**
 * `{id}/attach|output`, `{svc}/{handler}/{idemKey}/attach|output` or
 * `{obj}/{key}/{handler}/{idemKey}/attach|output`; a 400 for other numbers of
 * segments before attach|output, undefined (404) when the path ends otherwise.
 */
function parseInvocationPath(args: readonly string[], registry: Registry): IngressTarget | undefined {
  const type = args[args.length - 1];
  if (args.length < 2) return badPath(INVOCATION_SHAPES);
  if (type !== "attach" && type !== "output") return undefined;
  if (args.length === 2) return { type, by: "id", invocationId: args[0]! };
  if (args.length !== 4 && args.length !== 5) return badPath(INVOCATION_SHAPES);
  const [name, ...parts] = args.slice(0, -1) as [string, ...string[]];
  const [key, handler, idempotencyKey] = parts.length === 3 ? parts : [undefined, ...parts];
  const service = registry.service(name);
  if (!service) return notFound(unknownServiceMessage(name, registry));
  const shape = keyProblem(service, key);
  if (shape) return badPath(`${INVOCATION_SHAPES}: ${shape}`);
  const missing = handlerProblem(service, handler!);
  if (missing) return notFound(missing);
  if (utf8Length(idempotencyKey!) > MAX_IDEMPOTENCY_KEY_BYTES) return badPath(`the idempotency key has more than ${MAX_IDEMPOTENCY_KEY_BYTES} bytes`);
  if (key !== undefined && utf8Length(key) > MAX_KEY_BYTES) return badPath(keyTooLong(service, key));
  return { type, by: "idempotency", service: name, ...(key !== undefined ? { key } : {}), handler: handler!, idempotencyKey: idempotencyKey! };
}

function keyProblem(service: ServiceSpec, key: string | undefined): string | undefined {
  if (service.kind === "service" && key !== undefined) return `'${service.name}' is a service: its invocations have no key`;
  if (service.kind !== "service" && key === undefined) return `'${service.name}' is keyed: put the key before the handler name`;
  return undefined;
}

const WORKFLOW_SHAPES = "bad path, expected either /restate/workflow/:workflow_name/:workflow_key/output or /restate/workflow/:workflow_name/:workflow_key/attach";

/** `{wf}/{id}/attach|output`; a 400 for fewer segments, undefined (404) for other endings. */
function parseWorkflowPath(args: readonly string[], registry: Registry): IngressTarget | undefined {
  const [workflow, id, action] = args;
  if (args.length < 3) return badPath(WORKFLOW_SHAPES);
  if (args.length !== 3 || (action !== "attach" && action !== "output")) return undefined;
  const spec = registry.service(workflow!);
  if (!spec) return notFound(unknownServiceMessage(workflow!, registry));
  if (spec.kind !== "workflow") return notFound(`'${workflow}' is ${spec.kind === "object" ? "a virtual object" : "a service"}, not a workflow`);
  if (utf8Length(id!) > MAX_KEY_BYTES) return badPath(keyTooLong(spec, id!));
  return { type: action === "attach" ? "workflowAttach" : "workflowOutput", workflow: workflow!, id: id! };
}

/** `{id}/resolve|reject`; a 400 for a missing action, undefined (404) for other endings. */
function parseAwakeablePath(args: readonly string[]): IngressTarget | undefined {
  const [id, action] = args;
  if (args.length < 2) return badPath("bad path, expected either /restate/awakeables/:id/resolve or /restate/awakeables/:id/reject");
  if (args.length !== 2 || (action !== "resolve" && action !== "reject")) return undefined;
  return { type: "awakeable", id: id!, action };
}

function noRoute(rest: readonly string[]): IngressTarget {
  return notFound(`no route for ${echo(`/${[RESTATE_SEGMENT, ...rest].join("/")}`)}`);
}

function notFound(message: string): IngressTarget {
  return { type: "invalid", status: 404, message };
}

function badPath(message: string): IngressTarget {
  return { type: "invalid", status: 400, message };
}
