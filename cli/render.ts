/**
 * Plain-text output for the CLI: aligned tables and "name: value" blocks. Pure.
 */

export type Cell = string | number | boolean | null | undefined;

/** Columns padded to their widest cell; `columns` names them and picks the row fields. */
export function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const cells = rows.map((row) => columns.map((column) => text(row[column] as Cell)));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: readonly string[]) => values.map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i]!))).join("  ");
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join("\n");
}

/** `name: value` lines, names aligned; empty values are left out. */
export function fields(record: Record<string, unknown>, names: readonly string[]): string {
  const present = names.filter((name) => record[name] !== null && record[name] !== undefined && record[name] !== "");
  const width = Math.max(0, ...present.map((name) => name.length));
  return present.map((name) => `${`${name}:`.padEnd(width + 1)}  ${text(record[name] as Cell)}`).join("\n");
}

function text(value: Cell | object): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
