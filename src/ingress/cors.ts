/**
 * Opt-in CORS for the ingress, so browser apps on other origins can call handlers.
 * Off unless `createWorker({ cors })` names the origins; never for the admin API
 * (its token must not be usable from a web page).
 */
export interface CorsOptions {
  /** Origins allowed to call, e.g. `["https://app.example.com"]`, or `"*"` for any. */
  origins: readonly string[] | "*";
  /** Request headers a page may send besides the CORS-safelisted ones. @default content-type, idempotency-key, authorization */
  allowHeaders?: readonly string[];
  /** How long a browser may cache a preflight answer, in seconds. @default 600 */
  maxAgeSeconds?: number;
}

const DEFAULT_ALLOW_HEADERS = ["content-type", "idempotency-key", "authorization"];
/** Headers a page may read from an answer (the invocation id, idempotency expiry, error source). */
const EXPOSE_HEADERS = "x-restate-id, idempotency-expires, x-restate-error-source";

/** `url`: passed through to `handle` (see IngressHandler). */
export type Handler<E, U = never> = (request: Request, env: E, url?: U) => Promise<Response>;

/** Wraps `handle` with CORS: answers preflights, and labels answers to allowed origins. */
export function withCors<E, U = never>(options: CorsOptions, handle: Handler<E, U>): Handler<E, U> {
  const check = originCheck(options.origins);
  const allowHeaders = (options.allowHeaders ?? DEFAULT_ALLOW_HEADERS).join(", ");
  const maxAge = String(options.maxAgeSeconds ?? 600);
  return async (request, env, url) => {
    const origin = request.headers.get("origin");
    const allowed = origin !== null && check(origin);
    if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
      if (!allowed) return new Response(null, { status: 403, headers: { vary: "origin" } });
      return new Response(null, {
        status: 204,
        headers: { ...originHeaders(origin), "access-control-allow-methods": "GET, POST", "access-control-allow-headers": allowHeaders, "access-control-max-age": maxAge },
      });
    }
    const response = await handle(request, env, url);
    if (!allowed) return response;
    const labelled = new Response(response.body, response);
    for (const [name, value] of Object.entries(originHeaders(origin))) labelled.headers.set(name, value);
    labelled.headers.set("access-control-expose-headers", EXPOSE_HEADERS);
    return labelled;
  };
}

function originCheck(origins: CorsOptions["origins"]): (origin: string) => boolean {
  if (origins === "*") return () => true;
  const set = new Set(origins.map((o) => o.replace(/\/+$/, "").toLowerCase()));
  return (origin) => set.has(origin.toLowerCase());
}

/** The origin is echoed (never `*`) so that credentialed requests work, as Restate's ingress does. */
function originHeaders(origin: string): Record<string, string> {
  return { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "origin" };
}
