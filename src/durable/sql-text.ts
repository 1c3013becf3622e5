/**
 * A tokenizer for the admin's SQL, just enough to reason about a query before
 * SQLite runs it: which names it mentions, where its parentheses are, which
 * functions it calls. Pure. Strings, blobs and comments are skipped, so nothing
 * inside them counts; quoted identifiers ("x", `x`, [x]) count as names.
 */

export type SqlToken =
  | { kind: "name"; text: string; quoted: boolean } // lower-cased
  | { kind: "punct"; text: string } // ( ) , ; . and operators
  | { kind: "literal" }; // number, string, blob, parameter

/** The tokens of `sql`, or a reason it cannot be read (an unterminated string or quoted name). */
export function sqlTokens(sql: string): SqlToken[] | { error: string } {
  const tokens: SqlToken[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) i++;
    else if (sql.startsWith("--", i)) i = endOf(sql, "\n", i + 2);
    else if (sql.startsWith("/*", i)) i = endOf(sql, "*/", i + 2);
    else if (c === "'" || ((c === "x" || c === "X") && sql[i + 1] === "'")) {
      const end = quotedEnd(sql, c === "'" ? i : i + 1, "'");
      if (end < 0) return { error: "a string literal is not closed" };
      tokens.push({ kind: "literal" });
      i = end;
    } else if (c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      const end = c === "[" ? sql.indexOf("]", i + 1) + 1 : quotedEnd(sql, i, close);
      if (end <= 0) return { error: `a quoted name (${c}…${close}) is not closed` };
      const inner = sql.slice(i + 1, end - 1).split(close + close).join(close);
      tokens.push({ kind: "name", text: inner.toLowerCase(), quoted: true });
      i = end;
    } else {
      const word = /^(?:[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*|\d[\w.]*(?:[eE][+-]?\d+)?|\.\d[\w]*|[?:@$][\w$]*)/.exec(sql.slice(i, i + 256));
      if (word) {
        const text = word[0];
        tokens.push(/^[A-Za-z_\u0080-\uffff]/.test(text) ? { kind: "name", text: text.toLowerCase(), quoted: false } : { kind: "literal" });
        i += text.length;
      } else {
        tokens.push({ kind: "punct", text: c });
        i++;
      }
    }
  }
  return tokens;
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

/** Whether token `i` is the bare (unquoted) keyword `word`. */
export function isKeyword(tokens: readonly SqlToken[], i: number, word: string): boolean {
  const t = tokens[i];
  return t?.kind === "name" && !t.quoted && t.text === word;
}

export function isPunct(tokens: readonly SqlToken[], i: number, text: string): boolean {
  const t = tokens[i];
  return t?.kind === "punct" && t.text === text;
}

/** Index of the parenthesis closing the one at `open`; tokens.length when unbalanced. */
export function closingParen(tokens: readonly SqlToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (isPunct(tokens, i, "(")) depth++;
    else if (isPunct(tokens, i, ")") && --depth === 0) return i;
  }
  return tokens.length;
}
