/**
 * The bodies of the admin API's POSTs (a query, a state replacement) and the JSON
 * form of query rows. Every problem is an IngressError with the status to answer.
 */
import { bytesToBase64 } from "../engine/bytes.js";
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
  for (const [column, value] of Object.entries(row)) out[column] = value instanceof ArrayBuffer ? bytesToBase64(new Uint8Array(value)) : value;
  return out;
}
