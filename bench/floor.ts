/**
 * The floor for W3: a bare SQLite-backed Durable Object that writes, in one
 * request, the rows Resolute writes for `counter.add(n)` — an invocation row
 * (insert, then update to completed), a getState journal row, three run journal
 * rows, a setState journal row and the state upsert — with no engine, no replay
 * machinery and no ingress. Nothing Resolute does for W3 can be cheaper than this.
 */
import { DurableObject } from "cloudflare:workers";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS invocations (id TEXT PRIMARY KEY, status TEXT NOT NULL, result TEXT);
CREATE TABLE IF NOT EXISTS journal (
  inv TEXT NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT,
  PRIMARY KEY (inv, idx)
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

const STEPS = 3;

export class FloorObject extends DurableObject<unknown> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(SCHEMA);
  }

  /** W3 without the engine: returns the new count. */
  add(n: number): number {
    const sql = this.#sql;
    const inv = crypto.randomUUID();
    sql.exec("INSERT INTO invocations (id, status) VALUES (?, 'running')", inv);

    const row = sql.exec<{ value: string }>("SELECT value FROM state WHERE key = 'count'").toArray()[0];
    const count = row ? (JSON.parse(row.value) as number) : 0;
    sql.exec("INSERT INTO journal (inv, idx, kind, value) VALUES (?, 0, 'getState', ?)", inv, row?.value ?? null);

    for (let k = 1; k <= STEPS; k++) {
      sql.exec("INSERT INTO journal (inv, idx, kind, value) VALUES (?, ?, 'run', ?)", inv, k, JSON.stringify({ k, v: count + k }));
    }

    const next = JSON.stringify(count + n);
    sql.exec("INSERT INTO journal (inv, idx, kind, value) VALUES (?, ?, 'setState', ?)", inv, STEPS + 1, next);
    sql.exec(
      "INSERT INTO state (key, value) VALUES ('count', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      next,
    );
    sql.exec("UPDATE invocations SET status = 'completed', result = ? WHERE id = ?", next, inv);
    return count + n;
  }
}
