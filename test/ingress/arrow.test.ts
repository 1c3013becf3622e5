/**
 * Issue #13: the Arrow IPC stream `POST /query` answers with (Restate's default, what
 * Restate's CLI reads for counts and `restate sql`), read back here with a small
 * flatbuffer reader. The real CLI reading it is test/cli/restate-cli.test.ts.
 */
import { describe, expect, test } from "vitest";
import { arrowStream } from "../../src/ingress/arrow.js";

/** Reads a flatbuffer table's fields: scalar getters and offsets to child objects. */
function table(view: DataView, at: number) {
  const vtable = at - view.getInt32(at, true);
  const field = (i: number) => (4 + 2 * i < view.getUint16(vtable, true) ? view.getUint16(vtable + 4 + 2 * i, true) : 0);
  const ref = (i: number) => at + field(i) + view.getUint32(at + field(i), true);
  return {
    has: (i: number) => field(i) !== 0,
    u8: (i: number) => view.getUint8(at + field(i)),
    i16: (i: number) => view.getInt16(at + field(i), true),
    i32: (i: number) => view.getInt32(at + field(i), true),
    i64: (i: number) => Number(view.getBigInt64(at + field(i), true)),
    table: (i: number) => table(view, ref(i)),
    string: (i: number) => new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset + ref(i) + 4, view.getUint32(ref(i), true))),
    tables: (i: number) => Array.from({ length: view.getUint32(ref(i), true) }, (_, k) => table(view, ref(i) + 4 + 4 * k + view.getUint32(ref(i) + 4 + 4 * k, true))),
    pairs: (i: number) => Array.from({ length: view.getUint32(ref(i), true) }, (_, k) => [Number(view.getBigInt64(ref(i) + 4 + 16 * k, true)), Number(view.getBigInt64(ref(i) + 12 + 16 * k, true))]),
  };
}

/** Splits the stream into messages: [header type, header table, body]. */
function messages(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: { type: number; header: ReturnType<typeof table>; body: Uint8Array }[] = [];
  let at = 0;
  for (;;) {
    expect(view.getUint32(at, true)).toBe(0xffffffff);
    const length = view.getInt32(at + 4, true);
    if (length === 0) break;
    expect((at + 8 + length) % 8).toBe(0);
    const meta = new DataView(bytes.buffer, bytes.byteOffset + at + 8, length);
    const message = table(meta, meta.getUint32(0, true));
    expect(message.i16(0)).toBe(4); // metadata version V5
    const bodyLength = message.i64(3);
    const bodyAt = at + 8 + length;
    out.push({ type: message.u8(1), header: message.table(2), body: bytes.subarray(bodyAt, bodyAt + bodyLength) });
    at = bodyAt + bodyLength;
  }
  expect(at + 8).toBe(bytes.length);
  return out;
}

describe("Arrow IPC stream", () => {
  test("a schema with each column's name and type, one batch with validity, offsets and values", () => {
    const stream = arrowStream([
      { name: "id", type: "utf8", values: ["a", null, "ccc"] },
      { name: "count(1)", type: "int64", values: [1, 2, null] },
      { name: "ok", type: "bool", values: [true, false, null] },
    ]);
    const [schema, batch] = messages(stream);
    expect(schema!.type).toBe(1);
    const fields = schema!.header.tables(1);
    expect(fields.map((f) => [f.string(0), f.u8(1), f.u8(2)])).toEqual([["id", 1, 5], ["count(1)", 1, 2], ["ok", 1, 6]]);
    expect(fields[1]!.table(3).i32(0)).toBe(64); // Int: 64 bits, signed
    expect(batch!.type).toBe(3);
    expect(batch!.header.i64(0)).toBe(3);
    expect(batch!.header.pairs(1)).toEqual([[3, 1], [3, 1], [3, 1]]); // length, null count per column
    const buffers = batch!.header.pairs(2);
    expect(buffers).toHaveLength(2 + 3 + 2); // utf8: validity, offsets, data; int64 and bool: validity, values
    const body = new DataView(batch!.body.buffer, batch!.body.byteOffset, batch!.body.byteLength);
    for (const [offset] of buffers) expect(offset! % 8).toBe(0);
    expect(batch!.body[buffers[0]![0]!]).toBe(0b101); // validity of "a", null, "ccc"
    expect([0, 1, 2, 3].map((i) => body.getInt32(buffers[1]![0]! + 4 * i, true))).toEqual([0, 1, 1, 4]);
    expect(new TextDecoder().decode(batch!.body.subarray(buffers[2]![0]!, buffers[2]![0]! + buffers[2]![1]!))).toBe("accc");
    expect(Number(body.getBigInt64(buffers[4]![0]! + 8, true))).toBe(2);
    expect(batch!.body[buffers[6]![0]!]! & 0b11).toBe(0b01); // true, false
  });

  test("no rows: the schema only, then the end of the stream", () => {
    const list = messages(arrowStream([{ name: "id", type: "utf8", values: [] }]));
    expect(list.map((m) => m.type)).toEqual([1]);
  });
});
