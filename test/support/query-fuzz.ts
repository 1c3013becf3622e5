/**
 * A seeded generator of admin queries over `POST /query`'s deployment-wide tables
 * (sys_invocation and the static ones) for hostile-query-answers.test.ts: plain rows,
 * DISTINCT, aggregates with GROUP BY, HAVING, ORDER BY with LIMIT/OFFSET, NULLs, joins with
 * the static tables and VALUES, subqueries in FROM, WHERE and SELECT, CTEs, UNION, window
 * and JSON functions, pinned ids. Each query says whether its order is total (then its rows
 * are compared in order). Same seed, same queries.
 */
import { Random } from "./fuzz.js";

/** What the generator draws literals from: values present in the index's rows. */
export interface QueryPools {
  ids: string[];
  /** Values by sys_invocation column. */
  values: Record<string, (string | number | null)[]>;
  deploymentId: string;
}

export interface FuzzQuery {
  sql: string;
  /** ORDER BY names every selected column: rows compare in order (ties are equal rows). */
  ordered: boolean;
}

const TEXT = ["target_service_name", "target_service_key", "target_handler_name", "status", "idempotency_key", "invoked_by", "completion_result", "target_service_ty", "target", "completion_failure", "scheduled_start_at"];
const NUMBER = ["retry_count"];

const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;

export function generateQuery(random: Random, pools: QueryPools): FuzzQuery {
  const g = new Generator(random, pools);
  return g.query();
}

class Generator {
  constructor(
    private readonly r: Random,
    private readonly pools: QueryPools,
  ) {}

  query(): FuzzQuery {
    const shape = this.r.int(20);
    if (shape < 8) return this.rows();
    if (shape < 15) return this.aggregate();
    return this.other();
  }

  /** A FROM clause and the prefix its sys_invocation columns take ("" or "inv."), and what else it offers. */
  from(): { sql: string; p: string; extra: string[] } {
    const pick = this.r.int(12);
    const inv = "inv.";
    switch (pick) {
      case 0:
      case 1:
      case 2:
        return { sql: "sys_invocation", p: "", extra: [] };
      case 3:
        return { sql: this.r.pick(["sys_invocation inv", "sys_invocation_status AS inv"]), p: inv, extra: [] };
      case 4:
        return { sql: "sys_invocation inv JOIN sys_service s ON s.name = inv.target_service_name", p: inv, extra: ["s.ty", "s.name"] };
      case 5:
        return { sql: "sys_invocation inv JOIN sys_service s ON s.ty = inv.target_service_ty", p: inv, extra: ["s.name"] };
      case 6:
        return { sql: "sys_invocation inv, (VALUES (1), (2)) v", p: inv, extra: ["v.column1"] };
      case 7:
        return { sql: "sys_invocation inv LEFT JOIN sys_deployment d ON d.id = inv.pinned_deployment_id", p: inv, extra: ["d.id"] };
      case 8:
        return { sql: `sys_invocation inv, sys_deployment d`, p: inv, extra: ["d.id", "d.ty"] };
      case 9:
        return { sql: `(SELECT * FROM sys_invocation WHERE ${this.pred("")}) inv`, p: inv, extra: [] };
      case 10:
        return { sql: this.r.pick(["sys_service s LEFT JOIN sys_invocation inv ON inv.target_service_name = s.name", "sys_invocation inv, sys_invocation_status b"]), p: inv, extra: ["s.name"].filter(() => false) };
      default:
        return { sql: `sys_invocation inv JOIN sys_service s ON s.name = inv.target_service_name AND s.ty = 'virtual_object'`, p: inv, extra: ["s.name"] };
    }
  }

  column(p: string): string {
    return p + (this.r.chance(0.15) ? this.r.pick(NUMBER) : this.r.pick(TEXT));
  }

  expr(p: string, extra: string[]): string {
    const c = extra.length && this.r.chance(0.15) ? this.r.pick(extra) : this.column(p);
    switch (this.r.int(15)) {
      case 0:
        return `lower(${c})`;
      case 1:
        return `length(${c})`;
      case 2:
        return `coalesce(${c}, '-')`;
      case 3:
        return `substr(${c}, 1, 3)`;
      case 4:
        return `${c} || '!'`;
      case 5:
        return `json_extract(json_object('v', ${c}), '$.v')`;
      case 6:
        return `CASE WHEN ${c} IS NULL THEN 'none' ELSE 'some' END`;
      case 7:
        return `typeof(${c})`;
      case 8:
        return `json_array(${c}, 1)`;
      case 9:
        return `upper(substr(${c}, 3))`;
      case 10:
        return `${c} COLLATE NOCASE`;
      default:
        return c;
    }
  }

  value(column: string): string {
    const name = column.replace(/^.*\./, "");
    const values = this.pools.values[name] ?? [];
    const v = values.length ? this.r.pick(values) : null;
    return v === null ? "NULL" : typeof v === "number" ? String(v) : quote(v);
  }

  pred(p: string, depth = 0): string {
    const c = this.column(p);
    switch (this.r.int(depth > 1 ? 9 : 14)) {
      case 0:
        return `${c} IS NULL`;
      case 1:
        return `${c} IS NOT NULL`;
      case 2:
      case 3:
        return `${c} = ${this.value(c)}`;
      case 4:
        return `${c} LIKE ${quote(String(this.value(c)).replace(/'/g, "").slice(0, 3) + "%")}`;
      case 5:
        return `${c} IN (${this.value(c)}, ${this.value(c)})`;
      case 6:
        return `${p}retry_count > 0`;
      case 7:
        return `${c} > ${this.value(c)}`;
      case 8:
        return this.r.chance(0.5) ? `${p}target_service_name IN (SELECT name FROM sys_service WHERE ty = 'virtual_object')` : `EXISTS (SELECT 1 FROM sys_service s2 WHERE s2.name = ${p}target_service_name)`;
      case 9:
        return `NOT (${this.pred(p, depth + 1)})`;
      case 10:
        return `(${this.pred(p, depth + 1)} AND ${this.pred(p, depth + 1)})`;
      case 11:
        return `(${this.pred(p, depth + 1)} OR ${this.pred(p, depth + 1)})`;
      case 12:
        return `${p}id = ${quote(this.r.pick(this.pools.ids))}`;
      default:
        return `${p}id IN (${Array.from({ length: 1 + this.r.int(3) }, () => quote(this.r.pick(this.pools.ids))).join(", ")})`;
    }
  }

  where(p: string, extra: string[]): string {
    if (this.r.chance(0.25)) return "";
    const preds = [this.pred(p)];
    if (extra.includes("d.id") && this.r.chance(0.4)) preds.push(`d.id = ${quote(this.pools.deploymentId)}`);
    while (this.r.chance(0.3)) preds.push(this.pred(p));
    return ` WHERE ${preds.join(" AND ")}`;
  }

  /** ORDER BY every position (each ascending or descending): a total order but for equal rows. */
  order(n: number): string {
    const term = (i: number) => this.r.pick([`${i + 1}`, `c${i}`, `(c${i})`]);
    return ` ORDER BY ${Array.from({ length: n }, (_, i) => `${term(i)}${this.r.chance(0.3) ? " DESC" : ""}`).join(", ")}`;
  }

  limit(): string {
    if (!this.r.chance(0.5)) return "";
    const limit = this.r.pick([0, 1, 2, 3, 5, 10, 50]);
    return this.r.chance(0.4) ? ` LIMIT ${limit} OFFSET ${this.r.pick([0, 1, 2, 7, 30])}` : ` LIMIT ${limit}`;
  }

  rows(): FuzzQuery {
    const f = this.from();
    const items = Array.from({ length: 1 + this.r.int(3) }, (_, i) => `${this.expr(f.p, f.extra)} AS c${i}`);
    const distinct = this.r.chance(0.25) ? "DISTINCT " : "";
    // Under NOCASE, rows that differ tie: their order (and which a LIMIT keeps) is SQLite's choice.
    const ordered = this.r.chance(0.6) && !items.some((item) => item.includes("COLLATE"));
    const tail = ordered ? this.order(items.length) + this.limit() : "";
    // SQLite lets WHERE name a select alias.
    const where = this.where(f.p, f.extra) || (this.r.chance(0.2) ? " WHERE c0 IS NOT NULL" : "");
    return { sql: `SELECT ${distinct}${items.join(", ")} FROM ${f.sql}${where}${tail}`, ordered };
  }

  aggregateCall(p: string): string {
    const c = this.column(p);
    return this.r.pick([
      "count(*)", `count(${c})`, `sum(${p}retry_count)`, `total(${p}retry_count)`, `min(${c})`, `max(${c})`, `min(${c})`, `max(${c})`,
      `avg(${p}retry_count)`, `count(DISTINCT ${c})`, `group_concat(${c})`, `max(${c}) || '!'`, `count(*) FILTER (WHERE ${p}retry_count = 0)`,
    ]);
  }

  aggregate(): FuzzQuery {
    const f = this.from();
    const keys = Array.from({ length: this.r.int(3) }, () => this.expr(f.p, f.extra));
    const aggs = Array.from({ length: 1 + this.r.int(3) }, () => this.aggregateCall(f.p));
    // Sometimes a GROUP BY term is not selected.
    const hidden = this.r.chance(0.15) ? [this.column(f.p)] : [];
    const selected = [...keys, ...aggs].map((e, i) => `${e} AS c${i}`);
    const groupBy = keys.length + hidden.length ? ` GROUP BY ${[...keys, ...hidden].join(", ")}` : "";
    const having = this.r.chance(0.1) ? " HAVING count(*) > 1" : "";
    const ordered = this.r.chance(0.6);
    const tail = ordered ? this.order(selected.length) + this.limit() : "";
    return { sql: `SELECT ${selected.join(", ")} FROM ${f.sql}${this.where(f.p, f.extra)}${groupBy}${having}${tail}`, ordered };
  }

  other(): FuzzQuery {
    const p = this.pred("");
    switch (this.r.int(8)) {
      case 0:
        return { sql: `SELECT id, row_number() OVER (ORDER BY id) AS n FROM sys_invocation WHERE ${p}`, ordered: false };
      case 1:
        return { sql: `SELECT target_service_name AS n FROM sys_invocation WHERE ${p} UNION SELECT name FROM sys_service`, ordered: false };
      case 2:
        return { sql: `WITH x AS (SELECT * FROM sys_invocation WHERE ${p}) SELECT count(*) AS n FROM x`, ordered: false };
      case 3:
        return { sql: `SELECT (SELECT count(*) FROM sys_invocation WHERE ${p}) AS n`, ordered: false };
      case 4:
        return { sql: `SELECT count(*) AS n FROM (WITH x AS (SELECT * FROM sys_invocation WHERE ${p}) SELECT * FROM x)`, ordered: false };
      case 5:
        return { sql: `SELECT name, ty FROM sys_service WHERE name IN (SELECT target_service_name FROM sys_invocation WHERE ${p}) ORDER BY 1, 2`, ordered: true };
      case 6:
        return { sql: `SELECT s.ty AS t, count(*) AS n FROM sys_service s GROUP BY s.ty ORDER BY 1, 2`, ordered: true };
      default:
        return { sql: `SELECT count(*) AS n FROM (SELECT status FROM sys_invocation WHERE ${p} GROUP BY status)`, ordered: false };
    }
  }
}
