/**
 * One object's SQL with its tables created by the first write to each. Until then the
 * store is empty, and behaves so: reads find no rows, updates and deletes change
 * none, and nothing is written. So a lookup that reaches an object that never
 * existed (a forged or mistyped id, an unknown key) leaves no schema or rows
 * behind; only a write (an invocation, a delivery, a state edit) creates them. The
 * core tables (schema.ts CORE_SQL) come with the first insert; a table of
 * TABLES_ON_USE with the first write to it (the store asks `has` before reading one and
 * `ensure` before writing one), so a key pays only for the tables it uses.
 * workerd itself still opens the object's database file when the object is first
 * instantiated (an empty 4 KB header page, measured on workerd 2026-04-26), which
 * no code inside the object can prevent.
 */
import { CORE_SQL, MIGRATIONS, SCHEMA_SQL, SCHEMA_VERSION, TABLES_ON_USE, type OnUseTable } from "./schema.js";
import type { Row } from "./rows.js";
import { TransactionHooks } from "../engine/transaction-hooks.js";

/** An SQLite database's page (workerd's default): a database holding any table is larger. */
const ONE_PAGE_BYTES = 4096;

/** Statements that can create a row; anything else on an empty store has nothing to act on. */
const CREATES_ROWS = /^\s*INSERT\b/i;

type Cursor<T extends Record<string, SqlStorageValue>> = SqlStorageCursor<T>;

export class LazySql {
  #installed: boolean;
  /** The tables of TABLES_ON_USE that exist. */
  readonly #tables: Set<string>;

  constructor(
    private readonly storage: DurableObjectStorage,
    installed: boolean,
    tables: Iterable<string> = [],
  ) {
    this.#installed = installed;
    this.#tables = new Set(tables);
  }

  get installed(): boolean {
    return this.#installed;
  }

  /** Whether `table` exists (a read of one that does not finds nothing). */
  has(table: OnUseTable): boolean {
    return this.#tables.has(table);
  }

  /** Creates `table` (and the core tables) if it does not exist yet: call before writing to it. */
  ensure(table: OnUseTable): void {
    if (this.#tables.has(table)) return;
    if (!this.#installed) this.install(undefined);
    this.storage.sql.exec(TABLES_ON_USE[table]);
    this.#tables.add(table);
    this.#hooks.onRollback(() => this.#tables.delete(table));
  }

  exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): Cursor<T> {
    if (!this.#installed) {
      if (!CREATES_ROWS.test(query)) return emptyCursor<T>();
      this.install(undefined);
    }
    return this.storage.sql.exec<T>(query, ...bindings);
  }

  /**
   * Runs `fn` atomically. Tables created inside it are gone if it throws (the transaction is
   * rolled back), and this instance forgets them too (ensure's and install's `onRollback`),
   * as the store's hooks undo what it keeps in memory.
   */
  transaction<T>(fn: () => T): T {
    return this.#hooks.run(() => this.storage.transactionSync(fn));
  }

  readonly #hooks = new TransactionHooks();

  /** Runs `work` once the open transaction commits (TransactionHooks.afterCommit). */
  afterCommit(work: () => void): void {
    this.#hooks.afterCommit(work);
  }

  /** Runs `undo` if the open transaction rolls back (TransactionHooks.onRollback). */
  onRollback(undo: () => void): void {
    this.#hooks.onRollback(undo);
  }

  /**
   * Runs `fn`, an admin's query inside a transaction it rolls back. A query naming a table not
   * created yet runs again with the missing ones present (empty, and gone with the rollback).
   */
  withMissingTables<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      const missing = /no such table: (?:main\.)?(\w+)/.exec(String(error))?.[1];
      if (missing === undefined || !(missing in TABLES_ON_USE) || this.#tables.has(missing)) throw error;
      for (const [table, ddl] of Object.entries(TABLES_ON_USE)) if (!this.#tables.has(table)) this.storage.sql.exec(ddl);
      return fn();
    }
  }

  /** Creates the core tables (a migration: every table of the older schema), migrating from an older version's when there are some. */
  install(version: string | undefined): void {
    const migration = version === undefined ? undefined : MIGRATIONS[version];
    if (version !== undefined && !migration) throw new Error(`Resolute storage has schema version ${version}, which this build cannot read (it knows ${SCHEMA_VERSION})`);
    const sql = this.storage.sql;
    this.transaction(() => {
      if (migration?.before) sql.exec(migration.before);
      sql.exec(migration ? SCHEMA_SQL : CORE_SQL);
      if (migration?.after) sql.exec(migration.after);
      sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('schema', ?)", String(SCHEMA_VERSION));
      this.#installed = true;
      this.#hooks.onRollback(() => (this.#installed = false));
    });
  }
}

/**
 * Opens an object's storage. `wakeQuery` (one statement over the core tables, with a `schema`
 * column read from meta and a `tables` column listing the tables, comma-separated) answers
 * for a woken object at the current version, the common case; a fresh object has no tables
 * and stays without them (undefined row); older storage is migrated first.
 */
export function openSchema(storage: DurableObjectStorage, wakeQuery: string): { sql: LazySql; wake: Row | undefined } {
  // A database of one page has no table (each has a root page of its own): a new object, known
  // without a statement (the wake-up query would fail to prepare, and a second one ask why).
  if (storage.sql.databaseSize <= ONE_PAGE_BYTES) return { sql: new LazySql(storage, false), wake: undefined };
  let row: Row | undefined;
  let failure: unknown;
  try {
    row = storage.sql.exec<Row>(wakeQuery).one();
  } catch (error) {
    failure = error; // no tables yet, or an older schema's
  }
  if (row?.schema !== String(SCHEMA_VERSION)) {
    const version = installedVersion(storage.sql);
    if (version === undefined) return { sql: new LazySql(storage, false), wake: undefined };
    if (version === String(SCHEMA_VERSION)) throw failure;
    new LazySql(storage, false).install(version);
    row = storage.sql.exec<Row>(wakeQuery).one();
  }
  return { sql: new LazySql(storage, true, String(row!.tables ?? "").split(",")), wake: row };
}

function installedVersion(sql: SqlStorage): string | undefined {
  const hasMeta = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length > 0;
  if (!hasMeta) return undefined;
  return sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'schema'").toArray()[0]?.v;
}

function emptyCursor<T extends Record<string, SqlStorageValue>>(): Cursor<T> {
  const none: T[] = [];
  return Object.assign(none[Symbol.iterator](), {
    toArray: () => none,
    one: (): T => {
      throw new Error("no row: this object has no stored data");
    },
    raw: () => ([] as SqlStorageValue[][])[Symbol.iterator](),
    columnNames: [] as string[],
    rowsRead: 0,
    rowsWritten: 0,
  }) as unknown as Cursor<T>;
}
