/**
 * One shard of the deployment-wide invocation index: a Resolute Durable Object
 * under a reserved name (`index:<n>`) holding a `sys_invocation`-shaped table of
 * the invocations of the owners that hash to it. Owners send batches of changed
 * rows after their own commit (indexer.ts); batches arriving while a commit is in
 * flight share the next one. The shard answers the index part of the admin's SQL
 * (`POST /query`) and turns the Restate-format aliases of the ids it holds back into
 * ids (index-aliases.ts).
 * Invariants: an upsert never replaces a newer row (ordered by the owner's
 * modified time), so batches may repeat or arrive late; rows past their
 * retention are invisible to queries and deleted as the shard writes.
 */
import { hash53 } from "../engine/ids.js";
import { INDEX_COLUMNS, INDEX_VIEW_SELECT, SYS_INVOCATION_NAMES, type IndexBatch } from "./index-row.js";
import { boundedRawRows, cteRows, queryShape, rolledBack, sourceProduct, workProblem, type RawQueryResult } from "./sql-bounds.js";
import { rowCounter, sourceRows } from "./sql-views.js";
import { aliasesOf, backfillAliases, ensureAliasColumn, resolveSql } from "./index-aliases.js";
import { CommitGroup } from "./commit-group.js";

/** The RPC calls an index shard answers (object.ts forwards them). */
export type IndexCall =
  | { kind: "record"; batch: IndexBatch }
  /** `reads`: how many times `query` reads sys_invocation (readsOf, worked out once at the ingress). */
  | { kind: "scan"; query: string; reads: number; context: string; maxRows: number }
  | { kind: "final"; query: string; reads: number; context: string; rows: unknown[][]; maxRows: number }
  /** Restate-format aliases (index-aliases.ts) → `[alias, id][]` for those this shard knows. */
  | { kind: "resolve"; aliases: string[] };

/** Reserved Durable Object name of index shard `n` (owner names never start with "index:"). */
export const indexShardName = (n: number): string => `index:${n}`;

export type IndexStub = { index(call: IndexCall): Promise<unknown> };

export function indexShardStub(namespace: DurableObjectNamespace, n: number): IndexStub {
  return namespace.get(namespace.idFromName(indexShardName(n))) as unknown as IndexStub;
}

/**
 * Reserved name of the object that runs a query's second pass (over rows the owners gave, or
 * the static tables alone) when the index is off: it only reads, so it stores nothing.
 */
const QUERY_COORDINATOR_NAME = "query:coordinator";

/** Where a query's second pass runs: any index shard (they exist), else the query coordinator. */
export function coordinatorStub(namespace: DurableObjectNamespace, indexShards: number): IndexStub {
  const name = indexShards > 0 ? indexShardName(Math.floor(Math.random() * indexShards)) : QUERY_COORDINATOR_NAME;
  return namespace.get(namespace.idFromName(name)) as unknown as IndexStub;
}

/** The shard an owner object (by its Durable Object id) sends its rows to. */
export const indexShardOf = (objectId: string, shards: number): number => hash53(objectId) % shards;

/** Expired rows deleted per batch written (the rest go with the next ones). */
const EXPIRE_PER_COMMIT = 500;
/**
 * After a pass that found less than a full page of expired rows, the next waits this long: a
 * commit per batch otherwise ran a DELETE that found nothing (0.26 statements per chain call,
 * issue 14). A query reads only rows not yet expired (LIVE), so a later deletion changes no answer.
 */
const EXPIRE_GAP_MS = 1_000;

/** The shard's own table: POST /query offers only its view (sys_invocation); naming it is refused at the ingress (query-plan.ts). */
const TABLE = "index_invocations";
/** The row's columns, then its Restate-format alias (written on insert only: it never changes). */
const STORED = [...INDEX_COLUMNS, "alias"];
const COLUMNS = STORED.join(", ");
// Raw columns (as in an object's invocations table); the Restate view is computed when queried.
// Secondary indexes: retention, and aliases (each written once per invocation, when its row is
// first inserted); a query scans its shard, as Restate's scan its partitions: every index
// written per row costs each invocation, every query costs only the admin.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${TABLE} (${STORED.map((c) => (c === "id" ? "id TEXT PRIMARY KEY" : c)).join(", ")});
CREATE INDEX IF NOT EXISTS ${TABLE}_by_expiry ON ${TABLE}(expires_at) WHERE expires_at IS NOT NULL;`;

/** Rows per INSERT (a statement takes at most 100 parameters). */
const ROWS_PER_UPSERT = Math.floor(100 / STORED.length);
const upsert = (n: number) => `INSERT INTO ${TABLE} (${COLUMNS}) VALUES ${Array.from({ length: n }, () => `(${STORED.map(() => "?").join(", ")})`).join(", ")}
  ON CONFLICT (id) DO UPDATE SET ${INDEX_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(", ")}
  WHERE excluded.modified_at >= ${TABLE}.modified_at`;
const UPSERTS = Array.from({ length: ROWS_PER_UPSERT + 1 }, (_, n) => upsert(Math.max(n, 1)));

/** The live rows, as the `sys_invocation` a query reads (?1: now). */
const LIVE = `${INDEX_VIEW_SELECT} FROM main.${TABLE} WHERE expires_at IS NULL OR expires_at > ?1`;

export class IndexShard {
  /** Batches that arrive while a commit is in flight share the next one (no timer: see below). */
  readonly #group: CommitGroup;
  /** The latest batch's turn: batches are written in the order they arrived. */
  #inOrder: Promise<unknown> = Promise.resolve();
  /** Done once every row has its alias (rows stored before aliases existed get theirs after a start). */
  #aliased: Promise<void> = Promise.resolve();
  #hasTable = false;
  /** When the next commit looks for expired rows (see EXPIRE_GAP_MS). */
  #expireAt = -Infinity;
  /** The rows of the deployment's tables a query is framed with (sys_service…), by the context that defines them: it changes only with a deploy. */
  #contextRows: { context: string; rows: Map<string, number> } | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly now: () => number,
  ) {
    this.#group = new CommitGroup(() => storage.sync());
  }

  /** The table, made on first use: an object that only runs second passes (the query coordinator) stores nothing. */
  #table(): void {
    if (this.#hasTable) return;
    this.#hasTable = true;
    const { storage } = this;
    storage.sql.exec(SCHEMA);
    ensureAliasColumn(storage.sql, TABLE);
    if (storage.sql.exec(`SELECT EXISTS (SELECT 1 FROM ${TABLE} WHERE alias IS NULL) AS missing`).one().missing) {
      this.#aliased = backfillAliases(storage, TABLE).catch((error) => {
        const message = "invocation index: giving older rows their Restate-format aliases failed (retried when the shard next starts)";
        console.warn(JSON.stringify({ level: "warn", message, error: String(error) }));
      });
    }
  }

  handle(call: IndexCall): Promise<unknown> | unknown {
    if (call.kind !== "final") this.#table();
    switch (call.kind) {
      case "record":
        return this.#record(call.batch);
      case "scan": {
        // The admin's query reads this shard's whole table, perhaps more than once (a self-join): bounded as per-object SQL is.
        const rows = () => this.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${TABLE}`).one().n;
        return bounded(call, rows, this.#sources(call.context)) ?? readOnly(this.storage, framed(call.context, LIVE, call.query), [this.now()], call.maxRows);
      }
      case "final":
        return bounded(call, () => call.rows.length, this.#sources(call.context)) ?? this.#final(call);
      case "resolve":
        return this.#aliased.then(() => [...this.storage.sql.exec(resolveSql(TABLE), JSON.stringify(call.aliases), this.now()).raw()]);
    }
  }

  /** The rows of what a query can read besides sys_invocation: the deployment's tables in `context`, and this shard's own SQLite tables. */
  #sources(context: string): (name: string) => number | undefined {
    if (this.#contextRows?.context !== context) this.#contextRows = { context, rows: cteRows(`WITH ${context.replace(/,\s*$/, "")} SELECT 1`) };
    const deployment = this.#contextRows.rows;
    const tables = sourceRows(rowCounter(this.storage.sql));
    return (name) => deployment.get(name) ?? tables(name);
  }

  /**
   * Resolves once the batch is durable in this shard (the caller may then advance its mark).
   * Batches are grouped by commit (CommitGroup), not held on a timer: under sustained load
   * workerd runs timers seconds late, and a held batch held every owner's rows back with it.
   */
  #record(batch: IndexBatch): Promise<void> {
    const aliases = aliasesOf(batch.rows.map((r) => String(r[0])));
    aliases.catch(() => {}); // awaited (and its failure answered) below
    // Only the aliases wait for the batch before: the writes then reach the commit group in
    // arrival order, and those arriving during a commit share the next one (waiting for the
    // previous write instead let one batch wait per commit).
    const ready = this.#inOrder.then(() => aliases);
    this.#inOrder = ready.then(() => {}, () => {});
    return ready.then((a) => this.#group.run(() => this.#write(batch, a)));
  }

  /** One batch's rows and deletions, and some expired rows, in one transaction (the output gate holds the answer until it is on disk). */
  #write(batch: IndexBatch, aliases: string[]): void {
    const rows = batch.rows.map((row, i) => [...row, aliases[i]!]);
    this.storage.transactionSync(() => {
      // Several rows per statement; one id twice in a statement would be refused, so only distinct ids share one.
      for (let i = 0; i < rows.length; i += ROWS_PER_UPSERT) {
        const part = rows.slice(i, i + ROWS_PER_UPSERT);
        if (new Set(part.map((r) => r[0])).size === part.length) this.storage.sql.exec(UPSERTS[part.length]!, ...part.flat());
        else for (const row of part) this.storage.sql.exec(UPSERTS[1]!, ...row);
      }
      for (const id of batch.deleted) this.storage.sql.exec(`DELETE FROM ${TABLE} WHERE id = ?`, id);
      const now = this.now();
      if (now < this.#expireAt) return;
      const expired = this.storage.sql.exec(`DELETE FROM ${TABLE} WHERE id IN (SELECT id FROM ${TABLE} WHERE expires_at <= ? LIMIT ${EXPIRE_PER_COMMIT})`, now).rowsWritten;
      // A full page may have more behind it: the next commit looks again.
      this.#expireAt = expired < EXPIRE_PER_COMMIT ? now + EXPIRE_GAP_MS : -Infinity;
    });
  }

  /**
   * The second phase of a query across shards: the rows every shard (or owner) gave,
   * as `sys_invocation`, under the admin's own query. Rows arrive as JSON arrays in
   * column order, read back with json_each (no table is written).
   */
  #final(call: Extract<IndexCall, { kind: "final" }>): RawQueryResult {
    const chunks = chunk(call.rows);
    const union = chunks.map((_, i) => `SELECT ${SYS_INVOCATION_NAMES.map((c, j) => `value ->> ${j} AS ${c}`).join(", ")} FROM json_each(?${i + 1})`).join(" UNION ALL ");
    const source = chunks.length ? union : `SELECT ${SYS_INVOCATION_NAMES.map((c) => `NULL AS ${c}`).join(", ")} WHERE 0`;
    return readOnly(this.storage, framed(call.context, source, call.query), chunks, call.maxRows);
  }
}

/** Rows as JSON texts of at most ~1 MB each (a bound string is limited to 2 MB). */
function chunk(rows: unknown[][]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (size + text.length > 1_000_000 && current.length) {
      out.push(`[${current.join(",")}]`);
      current = [];
      size = 0;
    }
    current.push(text);
    size += text.length + 1;
  }
  if (current.length) out.push(`[${current.join(",")}]`);
  return out;
}

/**
 * One read-only statement over the shard's own table (already checked by the admin's query
 * planner), rolled back whatever it did: at most `maxRows` rows and MAX_QUERY_BYTES.
 */
function readOnly(storage: DurableObjectStorage, sql: string, bindings: readonly unknown[], maxRows: number): RawQueryResult {
  return rolledBack((fn) => storage.transactionSync(fn), () => boundedRawRows(storage.sql.exec(sql, ...bindings), maxRows));
}

/** `sys_invocation` under both of its names, as a query over the index reads it. */
export const INDEX_TABLES: ReadonlySet<string> = new Set(["sys_invocation", "sys_invocation_status"]);

/** The text a query runs as: the deployment's tables (`context`), sys_invocation read from `source`, then the admin's query. */
function framed(context: string, source: string, query: string): string {
  return `WITH ${context}sys_invocation AS (${source}), sys_invocation_status AS (SELECT * FROM sys_invocation)\n${query}`;
}

/**
 * A refusal when the query could do more work than MAX_QUERY_WORK (the estimate of an object's
 * SQL, sql-bounds.ts) with `rows()` rows behind sys_invocation; undefined when it fits. What else
 * it reads counts with its rows (`sources`): the deployment's tables (sys_service: a row per
 * service), VALUES lists, the shard's own SQLite tables (its raw index table, sqlite_master).
 * One read of sys_invocation with nothing else of more than one row is linear in the table, as
 * the listing queries of Restate's CLI are: never refused for the table's size, which is not
 * counted for it. (adversary: a single read joined with sys_service, VALUES or the raw tables
 * was let through unbounded, as only reads of sys_invocation were counted.)
 */
function bounded({ query, reads }: { query: string; reads?: number }, rows: () => number, sources: (name: string) => number | undefined): { refused: string } | undefined {
  const shape = queryShape(query);
  if ("refused" in shape) return shape;
  // A call from a Worker of an earlier version says nothing of its reads: bounded as a self-join.
  if (reads !== undefined && reads <= 1 && (sourceProduct(shape, (name) => (INDEX_TABLES.has(name) ? 1 : sources(name))) ?? 2) <= 1) return undefined;
  const n = rows();
  const problem = workProblem(shape, (name) => (INDEX_TABLES.has(name) ? n : sources(name)));
  return problem === undefined ? undefined : { refused: problem };
}
