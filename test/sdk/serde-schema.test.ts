/** `serde.schema`: JSON checked by any Standard Schema v1 (zod 4 here, and a hand-written one). */
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import type { Context } from "../../sdk/context.js";
import { handlers, service } from "../../sdk/define.js";
import { TerminalError } from "../../sdk/errors.js";
import { serde, type StandardSchemaV1 } from "../../sdk/serde.js";
import { runtime } from "../engine/support.js";

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("serde.schema", () => {
  const person = serde.schema(z.object({ name: z.string(), age: z.number().int().min(0) }));

  it("parses valid JSON into the schema's output type", () => {
    expect(person.deserialize(encode({ name: "Ada", age: 36 }))).toEqual({ name: "Ada", age: 36 });
    expectTypeOf(person.deserialize).returns.toEqualTypeOf<{ name: string; age: number }>();
    expect(new TextDecoder().decode(person.serialize({ name: "Ada", age: 36 }))).toBe('{"name":"Ada","age":36}');
  });

  it("rejects invalid values with a 400 TerminalError listing each issue and its path", () => {
    const error = (() => {
      try {
        person.deserialize(encode({ name: 1, age: -1 }));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(TerminalError);
    expect((error as TerminalError).code).toBe(400);
    expect((error as TerminalError).message).toMatch(/^Invalid value: name: .+; age: .+/);
    expect(() => person.serialize({ name: "x", age: 1.5 })).toThrow("Invalid value: age");
  });

  it("works with any Standard Schema, and refuses one that validates asynchronously", () => {
    const even: StandardSchemaV1<number> = {
      "~standard": { version: 1, vendor: "hand", validate: (v) => (typeof v === "number" && v % 2 === 0 ? { value: v } : { issues: [{ message: "must be even" }] }) },
    };
    expect(serde.schema(even).deserialize(encode(4))).toBe(4);
    expect(() => serde.schema(even).deserialize(encode(3))).toThrow("Invalid value: (root): must be even");
    const later: StandardSchemaV1<number> = { "~standard": { version: 1, vendor: "lazy", validate: async (v) => ({ value: v as number }) } };
    expect(() => serde.schema(later).deserialize(encode(1))).toThrow("validates synchronously (lazy's did not)");
  });

  it("answers a handler's bad input with 400 and never runs the handler", async () => {
    let ran = 0;
    const svc = service({
      name: "people",
      handlers: { greet: handlers.handler({ input: person }, async (_ctx: Context, p: { name: string }) => `hi ${p.name} (${++ran})`) },
    });
    const rt = runtime([svc]);
    expect(await rt.call("people", "greet", { name: "Ada", age: 36 })).toBe("hi Ada (1)");
    await expect(rt.call("people", "greet", { name: "Bob", age: "old" })).rejects.toMatchObject({ code: 400 });
    expect(ran).toBe(1);
  });
});
