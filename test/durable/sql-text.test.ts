/**
 * The one tokenizer of the admin's SQL (sql-text.ts): literals, names and operators as
 * SQLite reads them, and edits that keep the tokens without reading the query again.
 */
import { describe, expect, test } from "vitest";
import { spliceSql, sqlText, sqlTokens, stringValue, tokenText, type SqlText } from "../../src/durable/sql-text.js";

const read = (sql: string) => sqlText(sql) as SqlText;

describe("sqlTokens", () => {
  test("blobs, strings with quotes and keywords, quoted names, operators and depth", () => {
    const q = read(`SELECT x'6869', 'it''s FROM', "from", [a b], f(a) -> '$.x', 1e3 FROM t WHERE a <= ?1`);
    const kinds = q.tokens.map((t) => (t.kind === "literal" ? t.literal : t.kind === "name" ? `${t.quoted ? "quoted " : ""}name ${t.text}` : t.text));
    expect(kinds).toEqual([
      "name select", "blob", ",", "string", ",", "quoted name from", ",", "quoted name a b", ",", "name f", "(", "name a", ")", "->", "string", ",", "number",
      "name from", "name t", "name where", "name a", "<=", "parameter",
    ]);
    expect(q.tokens.map((t) => t.depth)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(stringValue(q, q.tokens[3])).toBe("it's FROM");
    expect(stringValue(q, q.tokens[1])).toBeUndefined(); // a blob is no string
    expect(tokenText(q, q.tokens[1]!)).toBe("x'6869'");
  });

  test("what cannot be read says why", () => {
    expect(sqlTokens("SELECT 'open")).toEqual({ error: "a string literal is not closed" });
    expect(sqlTokens('SELECT "open')).toEqual({ error: 'a quoted name ("…") is not closed' });
  });
});

describe("spliceSql: edits keep every other token, moved, as reading the new text would give them", () => {
  for (const [sql, edits, expected] of [
    ["SELECT index FROM sys_journal WHERE id = 'a' ORDER BY index", (q: SqlText) => q.tokens.flatMap((t, i) => (t.kind === "name" && t.text === "index" ? [{ from: i, to: i + 1, text: '"index"' }] : [])), `SELECT "index" FROM sys_journal WHERE id = 'a' ORDER BY "index"`],
    ["SELECT * FROM information_schema.columns -- the end", () => [{ from: 3, to: 6, text: "information_schema_columns" }], "SELECT * FROM information_schema_columns -- the end"],
    ["SELECT 'a', ('b') FROM t", () => [{ from: 1, to: 2, text: "'longer one'" }, { from: 4, to: 5, text: "'c'" }], "SELECT 'longer one', ('c') FROM t"],
    ["SELECT 1", () => [{ from: 0, to: 1, text: "VALUES" }], "VALUES 1"],
  ] as const) {
    test(sql, () => {
      const q = read(sql);
      const edited = spliceSql(q, edits(q));
      expect(edited.sql).toBe(expected);
      expect(edited.tokens).toEqual(sqlTokens(edited.sql));
    });
  }
});
