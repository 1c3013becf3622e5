/** The CLI's text layout (pure). */
import { expect, test } from "vitest";
import { fields, table } from "../../cli/render.js";

test("table pads every column but the last to its widest cell, headers upper-cased", () => {
  const text = table([{ name: "counter", n: 12, ok: true }, { name: "a", n: null, ok: false }], ["name", "n", "ok"]);
  expect(text.split("\n")).toEqual(["NAME     N   OK", "counter  12  yes", "a            no"]);
});

test("fields aligns names and leaves empty values out", () => {
  expect(fields({ id: "x", status: "running", failure: null, note: "" }, ["id", "status", "failure", "note"])).toBe("id:      x\nstatus:  running");
});
