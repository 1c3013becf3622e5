/**
 * Restate-format aliases at the admin API (src/engine/restate-id.ts): Restate's CLI parses
 * every invocation id it is given as Restate's (and stops on `invocations describe` when it
 * cannot), so it is shown aliases, and every admin route and `POST /query` takes an alias
 * wherever it takes an id.
 * - Out (only to Restate's CLI, known by its user agent): every id in an answer becomes its
 *   alias, computed from the id with no lookup.
 * - In (from anyone): an alias is turned back into its Resolute id by the aliases this isolate
 *   has shown, else through the invocation index, whose shards store each row's alias; then
 *   the request routes as the id would. The index lags the invocations by up to about a
 *   second (bench/index-lag.ts), so an alias of a younger invocation that this isolate has not
 *   shown is not found yet: a 404 that says so (an empty answer in SQL).
 * Resolute's own ids keep working everywhere and never need the index.
 */
import { invocationOwner } from "../engine/ids.js";
import { decodeRestateInvocationId, restateAliasOf } from "../engine/restate-id.js";
import { indexShardStub } from "../durable/index-shard.js";
import type { RawQueryResult } from "../durable/sql-bounds.js";
import { quoteString, spliceSql, stringValue, type SqlText } from "../durable/sql-text.js";
import { IngressError } from "./responses.js";
import { knownOwnerOf, ownerOfInvocationId } from "./invocation-id.js";
import type { TargetKinds } from "../engine/addressing.js";

/** Restate's CLI says who it is in its user agent (`restate-cli/1.7.12 linux-x86_64`). */
export const showsRestateIds = (request: Request): boolean => (request.headers.get("user-agent") ?? "").startsWith("restate-cli/");

/** Columns holding users' own values and names: never rewritten, even if one looks like an id. */
const USER_COLUMNS = new Set([
  "key", "value", "value_utf8", "service_key", "target_service_key", "idempotency_key", "name", "promise_name",
  "completion_success_value", "completion_success_value_utf8", "completion_failure", "failure", "last_failure", "entry_json",
]);

/** Why an alias resolves to nothing (ingress answers 404 with it). */
export function aliasNotFound(alias: string, indexShards: number): string {
  const lookedUp = `invocation '${alias}' not found: ids in Restate's format are aliases looked up in the invocation index`;
  if (indexShards === 0) return `${lookedUp}, which is off (createWorker({ indexShards: 0 })); use the invocation's own id (x-restate-id)`;
  return `${lookedUp}, which has no such invocation (it may be younger than the index's lag, about a second, or purged); Resolute's own id (x-restate-id) needs no lookup`;
}

/**
 * Aliases this isolate has shown, and their ids: a cache of a pure function, so never wrong.
 * It lets Restate's CLI act on what it was just shown (list, then describe or cancel) before
 * the invocation's row reaches the index, and saves the index a lookup.
 */
const shown = new Map<string, string>();
const SHOWN_MAX = 10_000;

function remember(alias: string, id: string): void {
  if (shown.size >= SHOWN_MAX) shown.delete(shown.keys().next().value!);
  shown.set(alias, id);
}

/** The Resolute ids of these aliases, for those this isolate has shown or the index knows. */
async function resolveAliases(aliases: readonly string[], namespace: DurableObjectNamespace, indexShards: number): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const alias of aliases) {
    const id = shown.get(alias);
    if (id !== undefined) found.set(alias, id);
  }
  const missing = [...new Set(aliases.filter((a) => !found.has(a)))];
  if (missing.length === 0 || indexShards === 0) return found;
  const call = { kind: "resolve", aliases: missing } as const;
  const shards = Array.from({ length: indexShards }, (_, n) => indexShardStub(namespace, n).index(call) as Promise<[string, string][]>);
  // An alias is 192 bits of a SHA-256 of the id: two ids with one alias are not to be expected.
  for (const pairs of await Promise.all(shards)) for (const [alias, id] of pairs) found.set(alias, id);
  return found;
}

/**
 * The Resolute id named by an admin route's id segment (itself, or what its alias stands for: 404
 * when unknown) and its owner (knownOwnerOf: undefined for a forged id naming an impossible owner).
 */
export async function invocationIdOf(
  text: string,
  kinds: TargetKinds,
  namespace: DurableObjectNamespace,
  indexShards: number,
): Promise<{ invocationId: string; owner: string | undefined }> {
  // A Resolute id (never in Restate's shape: it has a dot) is parsed once, by knownOwnerOf.
  if (decodeRestateInvocationId(text) === undefined) {
    const owner = knownOwnerOf(kinds, text);
    if (owner === undefined) ownerOfInvocationId(text); // 400 for what is no id at all
    return { invocationId: text, owner };
  }
  const id = (await resolveAliases([text], namespace, indexShards)).get(text);
  if (id === undefined) throw new IngressError(404, aliasNotFound(text, indexShards));
  return { invocationId: id, owner: knownOwnerOf(kinds, id) };
}

/**
 * The query with each string literal that is an alias replaced by its Resolute id, so that it
 * plans (pins ids, names an object) as if it had named the id; `unresolved`: aliases the index
 * does not know, left as they are (they match nothing).
 */
export async function resolveQueryAliases(
  query: SqlText,
  namespace: DurableObjectNamespace,
  indexShards: number,
): Promise<{ query: SqlText; unresolved: string[] }> {
  const literals = query.tokens.flatMap((t, i) => {
    const value = stringValue(query, t);
    return value !== undefined && decodeRestateInvocationId(value) !== undefined ? [{ i, alias: value }] : [];
  });
  if (literals.length === 0) return { query, unresolved: [] };
  const ids = await resolveAliases(literals.map((l) => l.alias), namespace, indexShards);
  const unresolved = new Set(literals.filter((l) => !ids.has(l.alias)).map((l) => l.alias));
  const edits = literals.filter((l) => ids.has(l.alias)).map((l) => ({ from: l.i, to: l.i + 1, text: quoteString(ids.get(l.alias)!) }));
  return { query: spliceSql(query, edits), unresolved: [...unresolved] };
}

/** The alias Restate's CLI is shown for `id` (remembered, so that it resolves at once). */
export async function shownAlias(id: string): Promise<string> {
  const alias = await restateAliasOf(id);
  remember(alias, id);
  return alias;
}

/** The answer with every invocation id (a whole value, outside users' own columns) as its alias. */
export async function withAliases(result: RawQueryResult): Promise<RawQueryResult> {
  const rewritten = result.columns.map((c) => !USER_COLUMNS.has(c));
  const ids = new Set<string>();
  for (const row of result.rows) row.forEach((v, i) => rewritten[i] && typeof v === "string" && invocationOwner(v) !== undefined && ids.add(v));
  if (ids.size === 0) return result;
  const aliases = new Map(await Promise.all([...ids].map(async (id) => [id, await shownAlias(id)] as const)));
  const rows = result.rows.map((row) => row.map((v, i) => (rewritten[i] && typeof v === "string" ? (aliases.get(v) ?? v) : v)));
  return { ...result, rows };
}
