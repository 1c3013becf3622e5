/**
 * Typed state (`ObjectContext<{ count: number }>`). The checks in `typeChecks`
 * run at compile time: `tsc --noEmit` covers this file, and the first test
 * compiles it, so a `// @ts-expect-error` that no longer fires (a wrong value
 * type accepted) or an `expectTypeOf` mismatch fails `vitest run` too.
 */
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { ObjectContext, ObjectSharedContext, WorkflowContext, WorkflowSharedContext } from "../../sdk/context.js";
import { handlers, object } from "../../sdk/define.js";
import type { Serde } from "../../sdk/serde.js";
import { MODES, runtime } from "./support.js";

interface Cart {
  count: number;
  items: string[];
  owner: { name: string };
}

declare const stringSerde: Serde<string>;
declare const numberSerde: Serde<number>;

/** Never called: only compiled. */
export function typeChecks(
  typed: ObjectContext<Cart>,
  shared: ObjectSharedContext<Cart>,
  flow: WorkflowContext<Cart>,
  flowShared: WorkflowSharedContext<Cart>,
  untyped: ObjectContext,
): void {
  // Typed state: names pick their value types.
  expectTypeOf(typed.get("count")).toEqualTypeOf<Promise<number | null>>();
  expectTypeOf(typed.get("items")).toEqualTypeOf<Promise<string[] | null>>();
  expectTypeOf(typed.get("count", numberSerde)).toEqualTypeOf<Promise<number | null>>();
  expectTypeOf(shared.get("owner")).toEqualTypeOf<Promise<{ name: string } | null>>();
  expectTypeOf(flow.get("count")).toEqualTypeOf<Promise<number | null>>();
  expectTypeOf(flowShared.get("items")).toEqualTypeOf<Promise<string[] | null>>();
  // An explicit type argument still works (existing call sites write it).
  expectTypeOf(typed.get<number>("count")).toEqualTypeOf<Promise<number | null>>();
  // @ts-expect-error not a state name of Cart
  void typed.get("missing");
  // @ts-expect-error the serde must match the value type
  void typed.get("count", stringSerde);

  typed.set("count", 1);
  typed.set("items", ["a"]);
  typed.set("owner", { name: "ada" });
  flow.set("count", 2);
  typed.set("count", 3, numberSerde);
  // @ts-expect-error count is a number
  typed.set("count", "1");
  // @ts-expect-error items is a string[]
  typed.set("items", [1]);
  // @ts-expect-error owner needs a name
  typed.set("owner", {});
  // @ts-expect-error not a state name of Cart
  typed.set("missing", 1);
  // @ts-expect-error the serde must match the value type
  typed.set("count", 1, stringSerde);
  // @ts-expect-error workflow state is typed too
  flow.set("count", "2");
  typed.clear("items");
  // @ts-expect-error not a state name of Cart
  typed.clear("missing");
  // @ts-expect-error shared handlers cannot write
  shared.set("count", 1);

  // Untyped state: any name, the type argument says the value type.
  expectTypeOf(untyped.get("anything")).toEqualTypeOf<Promise<any>>();
  expectTypeOf(untyped.get<number>("n")).toEqualTypeOf<Promise<number | null>>();
  expectTypeOf(untyped.get("s", stringSerde)).toEqualTypeOf<Promise<string | null>>();
  untyped.set("n", 1);
  untyped.set("anything", { nested: true });
  untyped.set<number>("n", 2);
  untyped.clear("whatever");
  // @ts-expect-error an explicit type argument checks the value
  untyped.set<number>("n", "2");
  // @ts-expect-error the value must match the serde
  untyped.set("s", 1, stringSerde);
}

const cart = object({
  name: "cart",
  handlers: {
    add: async (ctx: ObjectContext<Cart>, item: string) => {
      const items = [...((await ctx.get("items")) ?? []), item];
      ctx.set("items", items);
      ctx.set("count", items.length);
      return items;
    },
    count: handlers.object.shared(async (ctx: ObjectSharedContext<Cart>) => (await ctx.get("count")) ?? 0),
  },
});

describe("typed state", () => {
  it("type-checks: every @ts-expect-error fires and every expectTypeOf holds", () => {
    const file = fileURLToPath(import.meta.url);
    const configPath = fileURLToPath(new URL("../../tsconfig.json", import.meta.url));
    const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
    const program = ts.createProgram([file], config!.options);
    // Only this file's diagnostics: the rest of the project is `tsc --noEmit`'s job.
    const problems = ts
      .getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((d) => `${d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : ""}${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(problems).toEqual([]);
  });

  it.each(MODES)("handlers with typed state run ($mode)", async ({ alwaysReplay }) => {
    const rt = runtime([cart], alwaysReplay);
    await rt.call("cart", "add", "apple", { key: "c1" });
    expect(await rt.call("cart", "add", "pear", { key: "c1" })).toEqual(["apple", "pear"]);
    expect(await rt.call("cart", "count", undefined, { key: "c1" })).toBe(2);
    expect(rt.getState("cart", "c1", "items")).toEqual(["apple", "pear"]);
  });
});
