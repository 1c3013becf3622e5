/**
 * The one object a `POST /query` over the per-object tables (state, sys_journal, sys_promise,
 * sys_inbox, sys_keyed_service_status) names. Those tables live in each object's own storage,
 * so the query runs at one object, and is right only if every row it could read deployment-wide
 * is that object's: each SELECT reading such a table names the object in its own WHERE, as
 * top-level conjuncts (`id = 'inv_…'`, or `service_name = '…' AND service_key = '…'`).
 * (queryadv: any invocation id anywhere in the text, or `service_key = '…'` under an OR or a
 * NOT, picked the object: `WHERE invoked_id = '<callee>'` read the callee's journal, `… OR
 * service_key = 'b'` answered a's rows only, `NOT (…)` none.) Pure: tokens in, target out.
 */
import { invocationOwner } from "../engine/ids.js";
import { isKeyword, isPunct, type SqlText, type SqlToken as Token } from "../durable/sql-text.js";
import { clauses, conjunctValues, nameOf, QueryPlanError, tableReferencesAt } from "./query-clauses.js";

export const OBJECT_TABLES: ReadonlySet<string> = new Set(["state", "sys_journal", "sys_promise", "sys_inbox", "sys_keyed_service_status"]);

export type ObjectTarget = { owner: string } | { service: string; key: string };

const NAME_ONE =
  "state, sys_journal, sys_promise, sys_inbox and sys_keyed_service_status live in each object's own storage, which cannot be scanned " +
  "across the deployment: name one object with service_name = '…' AND service_key = '…' (or one invocation with id = 'inv_…'), " +
  "as conditions joined by AND (no OR) in the WHERE of each SELECT that reads them";
const SEVERAL = "the query names invocations of several objects: state, journals, promises and inboxes are read one object at a time";
const ONE_PER_SELECT =
  "a SELECT may read one of state, sys_journal, sys_promise, sys_inbox and sys_keyed_service_status (one object's rows each): " +
  "read them in subqueries of their own, each naming the object, or use POST objects/{service}/{key}/query to join one object's tables";
/** Words after a table that are no alias. */
const NOT_ALIASES = new Set(["left", "right", "inner", "outer", "cross", "join", "natural", "on", "using", "where", "group", "order", "limit", "window", "union", "intersect", "except"]);

/** The object every read of a per-object table in `q` names, or a 400 saying how to name one. */
export function objectTarget(q: SqlText): ObjectTarget {
  const { tokens } = q;
  const reads = tableReferencesAt(tokens).filter((i) => OBJECT_TABLES.has(nameOf(tokens[i]) ?? "") && !isPunct(tokens[i + 1], "."));
  const targets = new Map<string, ObjectTarget>();
  const selects = new Set<number>();
  for (const at of reads) {
    const select = selectOf(tokens, at);
    if (select === undefined) throw new QueryPlanError(NAME_ONE);
    if (selects.has(select)) throw new QueryPlanError(ONE_PER_SELECT);
    selects.add(select);
    const target = targetOf(q, select, at);
    targets.set(JSON.stringify(target), target);
  }
  if (targets.size > 1) throw new QueryPlanError(SEVERAL);
  const [target] = targets.values();
  if (!target) throw new QueryPlanError(NAME_ONE);
  return target;
}

/** The SELECT whose FROM holds the table named at `at` (same depth); undefined for one in parentheses there. */
function selectOf(tokens: readonly Token[], at: number): number | undefined {
  const depth = tokens[at]!.depth;
  for (let i = at - 1; i >= 0 && tokens[i]!.depth >= depth; i--) if (tokens[i]!.depth === depth && isKeyword(tokens[i], "select")) return i;
  return undefined;
}

/** What the WHERE of the SELECT at `select` says of the object its table (at `at`) is read from. */
function targetOf(q: SqlText, select: number, at: number): ObjectTarget {
  const { tokens } = q;
  const depth = tokens[select]!.depth;
  let end = select + 1;
  const compound = (t: Token) => isKeyword(t, "union") || isKeyword(t, "intersect") || isKeyword(t, "except");
  // It ends where its parenthesis closes, at a compound operator, or at a trailing ';'.
  while (end < tokens.length && tokens[end]!.depth >= depth && !(tokens[end]!.depth === depth && (compound(tokens[end]!) || isPunct(tokens[end], ";")))) end++;
  const c = clauses(tokens.slice(select, end));
  const alias = isKeyword(tokens[at + 1], "as") ? tokens[at + 2] : tokens[at + 1];
  const sources = new Set([nameOf(tokens[at])!, ...(alias?.kind === "name" && !NOT_ALIASES.has(alias.text) ? [alias.text] : [])]);
  const values = conjunctValues(q, c.where, sources);
  if (values === undefined) throw new QueryPlanError(NAME_ONE);
  const ids = [...(values.get("id") ?? []), ...(values.get("invocation_id") ?? [])];
  const owners = new Set(ids.map((id) => invocationOwner(id)).filter((o): o is string => o !== undefined));
  if (owners.size > 1) throw new QueryPlanError(SEVERAL);
  if (owners.size === 1) return { owner: [...owners][0]! };
  const service = values.get("service_name");
  const key = values.get("service_key");
  if (service?.length === 1 && key?.length === 1) return { service: service[0]!, key: key[0]! };
  throw new QueryPlanError(NAME_ONE);
}
