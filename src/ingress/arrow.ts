/**
 * A minimal Apache Arrow IPC stream writer: one schema message, one record
 * batch, the end-of-stream marker. Restate's admin API answers `POST /query`
 * in this format unless the client asks for JSON, and Restate's CLI asks for it
 * for counts and `restate sql`. Column types: Int64, Float64, Utf8, Binary, Bool,
 * all nullable. Pure; the flatbuffers are laid out by hand (forward: every
 * offset points to an object written after it, every scalar at its alignment).
 */

export type ArrowType = "int64" | "float64" | "utf8" | "binary" | "bool";
export interface ArrowColumn {
  name: string;
  type: ArrowType;
  values: readonly unknown[];
}

export const ARROW_STREAM_TYPE = "application/vnd.apache.arrow.stream";

/** The Arrow IPC stream of one batch holding these columns (all of the same length). */
export function arrowStream(columns: readonly ArrowColumn[]): Uint8Array {
  const length = columns[0]?.values.length ?? 0;
  const schema = message(1, schemaTable(columns), 0n);
  const parts = [schema];
  if (length > 0) {
    const { body, nodes, buffers } = batchBody(columns, length);
    parts.push(message(3, recordBatchTable(length, nodes, buffers), BigInt(body.length)), body);
  }
  parts.push(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
  return concat(parts);
}

// ---- flatbuffers, written forward ----

type Scalar = { t: "u8" | "i16" | "i32"; v: number } | { t: "i64"; v: bigint };
type Obj = { table: (Field | undefined)[] } | { string: string } | { tables: Obj[] } | { structs: Uint8Array; count: number };
type Field = Scalar | { t: "ref"; obj: Obj };

const SIZE = { u8: 1, i16: 2, i32: 4, i64: 8, ref: 4 } as const;

class Builder {
  bytes = new Uint8Array(256);
  length = 0;
  readonly #view = () => new DataView(this.bytes.buffer);

  #grow(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    next.set(this.bytes);
    this.bytes = next;
  }
  pad(align: number, remainder = 0): void {
    while (this.length % align !== remainder) this.put(new Uint8Array(1));
  }
  put(data: Uint8Array): number {
    this.#grow(data.length);
    const at = this.length;
    this.bytes.set(data, at);
    this.length += data.length;
    return at;
  }
  set(at: number, field: Scalar | { t: "u16" | "u32"; v: number }): void {
    const view = this.#view();
    if (field.t === "u8") view.setUint8(at, field.v);
    else if (field.t === "i16") view.setInt16(at, field.v, true);
    else if (field.t === "u16") view.setUint16(at, field.v, true);
    else if (field.t === "i32") view.setInt32(at, field.v, true);
    else if (field.t === "u32") view.setUint32(at, field.v, true);
    else view.setBigInt64(at, BigInt(field.v), true);
  }

  /** Writes an object; returns the position an offset to it points at. */
  write(obj: Obj): number {
    if ("string" in obj) {
      this.pad(4);
      const text = new TextEncoder().encode(obj.string);
      const at = this.put(new Uint8Array(4 + text.length + 1));
      this.set(at, { t: "u32", v: text.length });
      this.bytes.set(text, at + 4);
      return at;
    }
    if ("structs" in obj) {
      this.pad(8, 4); // the elements (8-byte aligned) follow the 4-byte count
      const at = this.put(new Uint8Array(4));
      this.set(at, { t: "u32", v: obj.count });
      this.put(obj.structs);
      return at;
    }
    if ("tables" in obj) {
      this.pad(4);
      const at = this.put(new Uint8Array(4 + 4 * obj.tables.length));
      this.set(at, { t: "u32", v: obj.tables.length });
      obj.tables.forEach((item, i) => this.#link(at + 4 + 4 * i, item));
      return at;
    }
    return this.#table(obj.table);
  }

  #link(slot: number, obj: Obj): void {
    const target = this.write(obj);
    this.set(slot, { t: "u32", v: target - slot });
  }

  #table(fields: (Field | undefined)[]): number {
    // Inline layout: the vtable offset, then fields by size (largest first) at their alignment.
    const offsets = fields.map(() => 0);
    let size = 4;
    for (const width of [8, 4, 2, 1]) {
      fields.forEach((f, i) => {
        if (!f || SIZE[f.t] !== width) return;
        size = Math.ceil(size / width) * width;
        offsets[i] = size;
        size += width;
      });
    }
    this.pad(2);
    const vtable = this.put(new Uint8Array(4 + 2 * fields.length));
    this.set(vtable, { t: "u16", v: 4 + 2 * fields.length });
    this.set(vtable + 2, { t: "u16", v: size });
    offsets.forEach((o, i) => this.set(vtable + 4 + 2 * i, { t: "u16", v: o }));
    this.pad(8);
    const table = this.put(new Uint8Array(size));
    this.set(table, { t: "i32", v: table - vtable });
    const refs: [number, Obj][] = [];
    fields.forEach((f, i) => {
      if (!f) return;
      if (f.t === "ref") refs.push([table + offsets[i]!, f.obj]);
      else this.set(table + offsets[i]!, f);
    });
    for (const [slot, obj] of refs) this.#link(slot, obj);
    return table;
  }
}

function flatbuffer(root: Obj): Uint8Array {
  const b = new Builder();
  b.put(new Uint8Array(4));
  const at = b.write(root);
  b.set(0, { t: "u32", v: at });
  b.pad(8);
  return b.bytes.slice(0, b.length);
}

const u8 = (v: number): Field => ({ t: "u8", v });
const ref = (obj: Obj): Field => ({ t: "ref", obj });

/** Arrow's `Type` union: its tag and its table. */
function typeOf(type: ArrowType): [number, Obj] {
  switch (type) {
    case "int64":
      return [2, { table: [{ t: "i32", v: 64 }, u8(1)] }];
    case "float64":
      return [3, { table: [{ t: "i16", v: 2 }] }];
    case "binary":
      return [4, { table: [] }];
    case "utf8":
      return [5, { table: [] }];
    case "bool":
      return [6, { table: [] }];
  }
}

function schemaTable(columns: readonly ArrowColumn[]): Obj {
  const fields = columns.map((c): Obj => {
    const [tag, type] = typeOf(c.type);
    // Field: name, nullable, type_type, type, dictionary, children.
    return { table: [ref({ string: c.name }), u8(1), u8(tag), ref(type), undefined, ref({ tables: [] })] };
  });
  return { table: [{ t: "i16", v: 0 }, ref({ tables: fields })] };
}

function recordBatchTable(length: number, nodes: bigint[][], buffers: bigint[][]): Obj {
  return { table: [{ t: "i64", v: BigInt(length) }, ref(structs(nodes)), ref(structs(buffers))] };
}

function structs(pairs: bigint[][]): Obj {
  const bytes = new Uint8Array(16 * pairs.length);
  const view = new DataView(bytes.buffer);
  pairs.forEach(([a, b], i) => {
    view.setBigInt64(16 * i, a!, true);
    view.setBigInt64(16 * i + 8, b!, true);
  });
  return { structs: bytes, count: pairs.length };
}

/** An IPC message: continuation marker, metadata length, the Message flatbuffer (version 5). */
function message(headerType: number, header: Obj, bodyLength: bigint): Uint8Array {
  const meta = flatbuffer({ table: [{ t: "i16", v: 4 }, u8(headerType), ref(header), { t: "i64", v: bodyLength }] });
  const prefix = new Uint8Array(8);
  const view = new DataView(prefix.buffer);
  view.setUint32(0, 0xffffffff, true);
  view.setInt32(4, meta.length, true);
  return concat([prefix, meta]);
}

// ---- the record batch's body ----

function batchBody(columns: readonly ArrowColumn[], length: number): { body: Uint8Array; nodes: bigint[][]; buffers: bigint[][] } {
  const parts: Uint8Array[] = [];
  const buffers: bigint[][] = [];
  let offset = 0;
  const add = (data: Uint8Array) => {
    const padded = new Uint8Array(Math.ceil(data.length / 8) * 8);
    padded.set(data);
    buffers.push([BigInt(offset), BigInt(data.length)]);
    parts.push(padded);
    offset += padded.length;
  };
  const nodes = columns.map((column) => {
    const nulls = column.values.filter((v) => v === null || v === undefined).length;
    add(bits(column.values.map((v) => v !== null && v !== undefined)));
    for (const data of dataBuffers(column, length)) add(data);
    return [BigInt(length), BigInt(nulls)];
  });
  return { body: concat(parts), nodes, buffers };
}

function dataBuffers(column: ArrowColumn, length: number): Uint8Array[] {
  const values = column.values;
  if (column.type === "bool") return [bits(values.map((v) => v === true || v === 1))];
  if (column.type === "int64" || column.type === "float64") {
    const data = new Uint8Array(8 * length);
    const view = new DataView(data.buffer);
    values.forEach((v, i) => {
      if (typeof v !== "number") return;
      if (column.type === "int64") view.setBigInt64(8 * i, BigInt(Math.trunc(v)), true);
      else view.setFloat64(8 * i, v, true);
    });
    return [data];
  }
  const encoded = values.map((v) => (v instanceof ArrayBuffer ? new Uint8Array(v) : v === null || v === undefined ? new Uint8Array(0) : new TextEncoder().encode(String(v))));
  const offsets = new Uint8Array(4 * (length + 1));
  const view = new DataView(offsets.buffer);
  let at = 0;
  encoded.forEach((bytes, i) => {
    view.setInt32(4 * i, at, true);
    at += bytes.length;
  });
  view.setInt32(4 * length, at, true);
  return [offsets, concat(encoded)];
}

function bits(flags: readonly boolean[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(flags.length / 8));
  flags.forEach((on, i) => {
    if (on) out[i >> 3]! |= 1 << (i & 7);
  });
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
