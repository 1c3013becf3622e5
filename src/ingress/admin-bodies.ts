/**
 * The bodies of the admin API's POSTs (a query, a state replacement) and the JSON
 * form of query rows (one rendering for every admin query answer). Every problem is an IngressError with the status to answer.
 */
import { IngressError } from "./responses.js";
import { readBody } from "./request.js";

/** The body as JSON, within `maxBytes` (413 above); 400 with `shape` when it is not JSON. */
export async function jsonBody(request: Request, maxBytes: number, shape: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readBody(request, maxBytes));
  try {
    return JSON.parse(text);
  } catch {
    throw new IngressError(400, `${shape} (it is not JSON)`);
  }
}

/** Longest query text accepted (a Durable Object's SQL statements are limited to 100 KB). */
const MAX_QUERY_BYTES = 64 * 1024;

export async function queryOf(request: Request): Promise<string> {
  const shape = 'the body must be JSON: {"query": "SELECT …"}';
  const query = ((await jsonBody(request, MAX_QUERY_BYTES, shape)) as { query?: unknown } | null)?.query;
  if (typeof query !== "string") throw new IngressError(400, shape);
  return query;
}

/** Largest state replacement accepted. */
const MAX_STATE_BYTES = 1024 * 1024;

/** Restate's body: `{"object_key": "k", "new_state": {"name": [byte, ...]}}`. */
export async function newStateOf(request: Request): Promise<{ key: string; state: Record<string, Uint8Array> }> {
  const shape = 'the body must be {"object_key": "<key>", "new_state": {"<name>": [<bytes 0-255>]}}';
  const body = (await jsonBody(request, MAX_STATE_BYTES, shape)) as { object_key?: unknown; new_state?: unknown } | null;
  const newState = body?.new_state;
  if (typeof body?.object_key !== "string" || typeof newState !== "object" || newState === null || Array.isArray(newState)) throw new IngressError(400, shape);
  const entries = Object.entries(newState).map(([name, bytes]): [string, Uint8Array] => {
    if (!Array.isArray(bytes) || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) throw new IngressError(400, `${shape}: '${name}' is not a byte array`);
    return [name, Uint8Array.from(bytes as number[])];
  });
  // fromEntries defines each name as an own property: a state named `__proto__` stays a name, where
  // an assignment set the object's prototype to its bytes and the RPC failed to serialize it (a 500).
  return { key: body.object_key, state: Object.fromEntries(entries) };
}

/** Columns Restate types as booleans (SQLite answers 0 or 1). */
export const BOOLEAN_COLUMNS = new Set(["completed", "public", "pinned_deployment_exists"]);

/**
 * A query's value as Restate 1.7 writes it in a JSON answer (arrow-json, checked against
 * restate-server 1.7.12: `SELECT X'6869ff'` gives "6869ff"): bytes as lower-case hex, a boolean
 * column's 0 or 1 as false or true; null stays null.
 */
function jsonValue(column: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof ArrayBuffer) return [...new Uint8Array(value)].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (BOOLEAN_COLUMNS.has(column) && typeof value === "number") return value !== 0;
  return value;
}

/**
 * A query's row as a JSON object of jsonValue's: the one rendering of both POST /query and an
 * object's SQL. Nulls are left out (as Restate leaves them out) unless `nulls` is "kept" (an
 * object's SQL also lists its columns).
 */
export function jsonRow(entries: Iterable<readonly [string, unknown]>, nulls: "kept" | "left out"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, value] of entries) {
    const rendered = jsonValue(column, value);
    if (rendered !== null || nulls === "kept") out[column] = rendered;
  }
  return out;
}
