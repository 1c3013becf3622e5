/**
 * One object's SQL with its tables created by the first insert. Until then the
 * store is empty, and behaves so: reads find no rows, updates and deletes change
 * none, and nothing is written. So a lookup that reaches an object that never
 * existed (a forged or mistyped id, an unknown key) leaves no schema or rows
 * behind; only a write (an invocation, a delivery, a state edit) creates them.
 * workerd itself still opens the object's database file when the object is first
 * instantiated (an empty 4 KB header page, measured on workerd 2026-04-26), which
 * no code inside the object can prevent.
 */
import { MIGRATIONS, SCHEMA_SQL, SCHEMA_VERSION } from "./schema.js";
import type { Row } from "./rows.js";

/** Statements that can create a row; anything else on an empty store has nothing to act on. */
const CREATES_ROWS = /^\s*INSERT\b/i;

type Cursor<T extends Record<string, SqlStorageValue>> = SqlStorageCursor<T>;

export class LazySql {
  #installed: boolean;

  constructor(
    private readonly storage: DurableObjectStorage,
    installed: boolean,
  ) {
    this.#installed = installed;
  }

  get installed(): boolean {
    return this.#installed;
  }

  exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): Cursor<T> {
    if (!this.#installed) {
      if (!CREATES_ROWS.test(query)) return emptyCursor<T>();
      this.install(undefined);
    }
    return this.storage.sql.exec<T>(query, ...bindings);
  }

  /** Creates the tables, migrating from an older version's when there are some. */
  install(version: string | undefined): void {
    const migration = version === undefined ? undefined : MIGRATIONS[version];
    if (version !== undefined && !migration) throw new Error(`Resolute storage has schema version ${version}, which this build cannot read (it knows ${SCHEMA_VERSION})`);
    const sql = this.storage.sql;
    this.storage.transactionSync(() => {
      if (migration?.before) sql.exec(migration.before);
      sql.exec(SCHEMA_SQL);
      if (migration?.after) sql.exec(migration.after);
      sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('schema', ?)", String(SCHEMA_VERSION));
    });
    this.#installed = true;
  }
}

/**
 * Opens an object's storage. `wakeQuery` (one statement, with a `schema` column read from
 * meta) answers for a woken object at the current version, the common case; a fresh object
 * has no tables and stays without them (undefined row); older storage is migrated first.
 */
export function openSchema(storage: DurableObjectStorage, wakeQuery: string): { sql: LazySql; wake: Row | undefined } {
  let row: Row | undefined;
  let failure: unknown;
  try {
    row = storage.sql.exec<Row>(wakeQuery).one();
  } catch (error) {
    failure = error; // no tables yet, or an older schema's
  }
  if (row?.schema === String(SCHEMA_VERSION)) return { sql: new LazySql(storage, true), wake: row };
  const sql = new LazySql(storage, false);
  const version = installedVersion(storage.sql);
  if (version === undefined) return { sql, wake: undefined };
  if (version === String(SCHEMA_VERSION)) throw failure;
  sql.install(version);
  return { sql, wake: storage.sql.exec<Row>(wakeQuery).one() };
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
