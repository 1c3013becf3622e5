/**
 * The one tokenizer for the admin's SQL, just enough to reason about a query
 * before SQLite runs it: which names it mentions, where its parentheses are,
 * which functions it calls, which string literals it holds (the planner's pinned
 * ids, aliases). Pure. Strings, blobs and comments are single tokens or skipped,
 * so nothing inside them counts; quoted identifiers ("x", `x`, [x]) count as
 * names. A query is tokenized once where it enters (`sqlText`); edits to it
 * (`spliceSql`) tokenize only the text they put in.
 */

/** Where a token is in the text, and how many parentheses enclose it (a parenthesis is outside itself). */
interface Span {
  start: number;
  end: number;
  depth: number;
}

type TokenBody =
  | { kind: "name"; text: string; quoted: boolean } // lower-cased, without its quotes
  | { kind: "punct"; text: string } // ( ) , ; . and operators (<=, ||, ->> … as one)
  | { kind: "literal"; literal: "string" | "blob" | "number" | "parameter" };

export type SqlToken = Span & TokenBody;

/** A query's text with its tokens. */
export interface SqlText {
  readonly sql: string;
  readonly tokens: readonly SqlToken[];
}

const OPERATORS = /^(?:->>|->|<>|!=|<=|>=|==|\|\||<<|>>)/;

/** The tokens of `sql`, or a reason it cannot be read (an unterminated string or quoted name). */
export function sqlTokens(sql: string): SqlToken[] | { error: string } {
  const tokens: SqlToken[] = [];
  let depth = 0;
  let i = 0;
  const push = (token: TokenBody & { start: number; end: number }) => {
    if (token.kind === "punct" && token.text === ")") depth--;
    tokens.push({ ...token, depth });
    if (token.kind === "punct" && token.text === "(") depth++;
    i = token.end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) i++;
    else if (sql.startsWith("--", i)) i = endOf(sql, "\n", i + 2);
    else if (sql.startsWith("/*", i)) i = endOf(sql, "*/", i + 2);
    else if (c === "'" || ((c === "x" || c === "X") && sql[i + 1] === "'")) {
      const end = quotedEnd(sql, c === "'" ? i : i + 1, "'");
      if (end < 0) return { error: "a string literal is not closed" };
      push({ kind: "literal", literal: c === "'" ? "string" : "blob", start, end });
    } else if (c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      const end = c === "[" ? sql.indexOf("]", i + 1) + 1 : quotedEnd(sql, i, close);
      if (end <= 0) return { error: `a quoted name (${c}…${close}) is not closed` };
      const inner = sql.slice(i + 1, end - 1).split(close + close).join(close);
      push({ kind: "name", text: inner.toLowerCase(), quoted: true, start, end });
    } else {
      const head = sql.slice(i, i + 256);
      const word = /^(?:[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*|\d[\w.]*(?:[eE][+-]?\d+)?|\.\d[\w]*|[?:@$][\w$]*)/.exec(head);
      if (word) {
        const text = word[0];
        const end = i + text.length;
        if (/^[A-Za-z_\u0080-\uffff]/.test(text)) push({ kind: "name", text: text.toLowerCase(), quoted: false, start, end });
        else push({ kind: "literal", literal: /^[?:@$]/.test(text) ? "parameter" : "number", start, end });
      } else {
        const text = OPERATORS.exec(head)?.[0] ?? c;
        push({ kind: "punct", text, start, end: i + text.length });
      }
    }
  }
  return tokens;
}

/** `sql` with its tokens, or why it cannot be read. */
export function sqlText(sql: string): SqlText | { error: string } {
  const tokens = sqlTokens(sql);
  return "error" in tokens ? tokens : { sql, tokens };
}

/** The token's text as written. */
export const tokenText = (q: SqlText, t: SqlToken): string => q.sql.slice(t.start, t.end);

/** The value of a string literal token (undefined for any other token). */
export function stringValue(q: SqlText, t: SqlToken | undefined): string | undefined {
  return t?.kind === "literal" && t.literal === "string" ? q.sql.slice(t.start + 1, t.end - 1).replace(/''/g, "'") : undefined;
}

/** A string literal of `value`. */
export const quoteString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** An edit: tokens [from, to) become `text` (whole tokens, balanced parentheses). */
export interface SqlEdit {
  from: number;
  to: number;
  text: string;
}

/**
 * `q` with the edits made (in token order, not overlapping): only the new text is tokenized,
 * the other tokens move by the length the edits before them added.
 */
export function spliceSql(q: SqlText, edits: readonly SqlEdit[]): SqlText {
  if (edits.length === 0) return q;
  let sql = "";
  const tokens: SqlToken[] = [];
  let at = 0; // next token of q to keep
  let textAt = 0; // next character of q.sql to keep
  const keep = (until: number) => {
    const shift = sql.length - textAt;
    sql += q.sql.slice(textAt, until < q.tokens.length ? q.tokens[until]!.start : q.sql.length);
    for (; at < until; at++) {
      const t = q.tokens[at]!;
      tokens.push({ ...t, start: t.start + shift, end: t.end + shift });
    }
  };
  for (const edit of edits) {
    keep(edit.from);
    const added = sqlTokens(edit.text);
    if ("error" in added) throw new TypeError(`spliceSql: the replacement ${edit.text} cannot be read: ${added.error}`);
    const base = q.tokens[edit.from]?.depth ?? 0;
    for (const t of added) tokens.push({ ...t, start: t.start + sql.length, end: t.end + sql.length, depth: t.depth + base });
    sql += edit.text;
    at = edit.to;
    textAt = q.tokens[edit.to - 1]?.end ?? q.sql.length;
  }
  keep(q.tokens.length);
  return { sql, tokens };
}

/** Index just past `terminator` (or the end of the text: SQLite accepts an unclosed comment). */
function endOf(sql: string, terminator: string, from: number): number {
  const at = sql.indexOf(terminator, from);
  return at < 0 ? sql.length : at + terminator.length;
}

/** Index just past the closing `quote` of the quoted text starting at `start` (a doubled quote escapes); -1 if unclosed. */
function quotedEnd(sql: string, start: number, quote: string): number {
  let i = start + 1;
  for (;;) {
    const at = sql.indexOf(quote, i);
    if (at < 0) return -1;
    if (sql[at + 1] !== quote) return at + 1;
    i = at + 2;
  }
}

/** Whether `t` is the bare (unquoted) keyword `word` (a quoted "from" is a name, not the keyword). */
export function isKeyword(t: SqlToken | undefined, word: string): boolean {
  return t?.kind === "name" && !t.quoted && t.text === word;
}

/** Whether `t` is the punctuation or operator `text`. */
export function isPunct(t: SqlToken | undefined, text: string): boolean {
  return t?.kind === "punct" && t.text === text;
}

/**
 * Whether token `i` is a name in a table's place: neither a qualifier (`inv` of `inv.id`) nor
 * a call (`count(`). The one rule for which tables (views, common table expressions) a query
 * reads: the planner's, and the bound's (sql-bounds.ts), which also counts through CTEs.
 */
export function isTableName(tokens: readonly SqlToken[], i: number): boolean {
  return tokens[i]?.kind === "name" && !isPunct(tokens[i + 1], ".") && !isPunct(tokens[i + 1], "(");
}

/** Index of the parenthesis closing the one at `open`; tokens.length when unbalanced. */
export function closingParen(tokens: readonly SqlToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (isPunct(tokens[i], "(")) depth++;
    else if (isPunct(tokens[i], ")") && --depth === 0) return i;
  }
  return tokens.length;
}
