/**
 * The Restate-format aliases an index shard keeps beside its rows (restate-id.ts):
 * an `alias` column of the shard's table, with an index, so that an alias Restate's CLI
 * shows can be turned back into the Resolute id it stands for. The shard computes each
 * row's alias when the row arrives (owners send none: nothing is added to their turns);
 * rows stored before the column existed get theirs in bounded steps after a start.
 * Invariant: a row's alias is written once, with the row, and never changes (it is a
 * function of the id), so updates of a row never touch the alias index.
 */
import { restateAliasOf } from "../engine/restate-id.js";

/** Rows given their alias per backfill transaction. */
const BACKFILL_STEP = 500;

/** Adds the alias column and its index to a shard table made before they existed. */
export function ensureAliasColumn(sql: SqlStorage, table: string): void {
  const schema = sql.exec<{ sql: string }>("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", table).one().sql;
  if (!/\balias\b/.test(schema)) sql.exec(`ALTER TABLE ${table} ADD COLUMN alias TEXT`);
  sql.exec(`CREATE INDEX IF NOT EXISTS ${table}_by_alias ON ${table}(alias)`);
}

/**
 * Aliases computed lately, by id (a function of the id, so never stale): a row comes again
 * with each status change that reaches the shard in a later batch (a call's invocation: admitted,
 * suspended, completed), and each alias costs a SHA-256 and a BigInt base62 (2–3% of a chain
 * call's CPU, profiled, when computed every time).
 */
const recentAliases = new Map<string, Promise<string>>();
/** Most aliases kept (the oldest go first): an id's rows arrive within seconds of each other. */
const RECENT_ALIASES = 4096;

function aliasOf(id: string): Promise<string> {
  let alias = recentAliases.get(id);
  if (alias) return alias;
  recentAliases.set(id, (alias = restateAliasOf(id)));
  alias.catch(() => recentAliases.delete(id));
  if (recentAliases.size > RECENT_ALIASES) recentAliases.delete(recentAliases.keys().next().value!);
  return alias;
}

/** The aliases of these ids, in order. */
export const aliasesOf = (ids: readonly string[]): Promise<string[]> => Promise.all(ids.map(aliasOf));

/** `[alias, id]` for each of `aliases` a live row has (?1: the aliases as JSON, ?2: now). */
export const resolveSql = (table: string): string =>
  `SELECT alias, id FROM ${table} WHERE alias IN (SELECT value FROM json_each(?1)) AND (expires_at IS NULL OR expires_at > ?2)`;

/** Gives every row without an alias its alias, a step at a time (each step one transaction). */
export async function backfillAliases(storage: DurableObjectStorage, table: string): Promise<void> {
  for (;;) {
    const ids = storage.sql.exec<{ id: string }>(`SELECT id FROM ${table} WHERE alias IS NULL LIMIT ${BACKFILL_STEP}`).toArray().map((r) => r.id);
    if (ids.length === 0) return;
    const aliases = await aliasesOf(ids);
    storage.transactionSync(() => {
      ids.forEach((id, i) => storage.sql.exec(`UPDATE ${table} SET alias = ? WHERE id = ? AND alias IS NULL`, aliases[i]!, id));
    });
  }
}
