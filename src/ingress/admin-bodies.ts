/**
 * The bodies of the admin API's POSTs (a query, a state replacement) and the JSON
 * form of query rows. Every problem is an IngressError with the status to answer.
 */
import { IngressError } from "./responses.js";
import { readBody } from "./request.js";

/** Longest query text accepted (a Durable Object's SQL statements are limited to 100 KB). */
const MAX_QUERY_BYTES = 64 * 1024;

export async function queryOf(request: Request): Promise<string> {
  const text = new TextDecoder().decode(await readBody(request, MAX_QUERY_BYTES));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new IngressError(400, 'the body must be JSON: {"query": "SELECT …"}');
  }
  const query = (body as { query?: unknown } | null)?.query;
  if (typeof query !== "string") throw new IngressError(400, 'the body must be {"query": "SELECT …"}');
  return query;
}

/** Largest state replacement accepted. */
const MAX_STATE_BYTES = 1024 * 1024;

/** Restate's body: `{"object_key": "k", "new_state": {"name": [byte, ...]}}`. */
export async function newStateOf(request: Request): Promise<{ key: string; state: Record<string, Uint8Array> }> {
  const shape = 'the body must be {"object_key": "<key>", "new_state": {"<name>": [<bytes 0-255>]}}';
  let body: { object_key?: unknown; new_state?: unknown } | null;
  try {
    body = JSON.parse(new TextDecoder().decode(await readBody(request, MAX_STATE_BYTES)));
  } catch (e) {
    if (e instanceof IngressError) throw e;
    throw new IngressError(400, shape);
  }
  const newState = body?.new_state;
  if (typeof body?.object_key !== "string" || typeof newState !== "object" || newState === null || Array.isArray(newState)) throw new IngressError(400, shape);
  const state: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(newState)) {
    if (!Array.isArray(bytes) || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) throw new IngressError(400, `${shape}: '${name}' is not a byte array`);
    state[name] = Uint8Array.from(bytes as number[]);
  }
  return { key: body.object_key, state };
}

/** BLOB columns (ArrayBuffer) as base64 text, so the row can be JSON. */
export function jsonRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) out[column] = value instanceof ArrayBuffer ? base64(new Uint8Array(value)) : value;
  return out;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
