import { TerminalError } from "./errors.js";

/**
 * Turns values into bytes and back. Handlers use one for input and one for
 * output; `ctx.run`, state and calls take one too.
 */
export interface Serde<T> {
  /** Content type set on HTTP responses. */
  contentType?: string;
  /** JSON Schema of the values, when known (kept for tools; Resolute does not read it). */
  jsonSchema?: object;
  serialize(value: T): Uint8Array;
  deserialize(data: Uint8Array): T;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Status code of an input that fails to parse or validate. */
const BAD_INPUT = 400;

/** JSON (the default). `undefined` serializes to zero bytes and back. */
const json: Serde<any> = {
  contentType: "application/json",
  serialize(value: unknown): Uint8Array {
    return value === undefined ? new Uint8Array(0) : encoder.encode(JSON.stringify(value));
  },
  deserialize(data: Uint8Array): any {
    if (data.length === 0) return undefined;
    try {
      return JSON.parse(decoder.decode(data));
    } catch (e) {
      throw new TerminalError(`Failed to deserialize input: ${(e as Error).message}`, { errorCode: BAD_INPUT });
    }
  },
};

/** Raw bytes, passed through unchanged. */
const binary: Serde<Uint8Array> = {
  contentType: "application/octet-stream",
  serialize: (value) => value,
  deserialize: (data) => data,
};

/** No payload. */
const empty: Serde<void> = {
  serialize: () => new Uint8Array(0),
  deserialize: () => undefined,
};

/**
 * JSON validated by a zod schema on both sides; a violation is a 400
 * `TerminalError` whose message lists zod's issues. (A zod 4 schema is a
 * Standard Schema, so this is `serde.schema`; typed through the Standard Schema interface, so
 * that the package's declarations need no zod installed when a Worker does not use it.)
 * @example
 * handlers: { greet: handlers.handler({ input: serde.zod(z.object({ name: z.string() })) }, async (ctx, { name }) => `hi ${name}`) }
 */
function zod<S extends StandardSchemaV1>(zodSchema: S): Serde<NonNullable<S["~standard"]["types"]>["output"]> {
  return schema(zodSchema);
}

/**
 * The part of the Standard Schema v1 interface (https://standardschema.dev) that
 * `serde.schema` uses; zod 4, Valibot and ArkType schemas implement it.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}
type StandardResult<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: readonly { readonly message: string; readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined }[] };

/**
 * JSON validated by any Standard Schema (Restate's `serde.schema`); a violation
 * is a 400 `TerminalError` listing the issues. The schema must validate
 * synchronously.
 * @example
 * handlers: { greet: handlers.handler({ input: serde.schema(z.object({ name: z.string() })) }, async (ctx, { name }) => `hi ${name}`) }
 */
function schema<S extends StandardSchemaV1>(standard: S): Serde<NonNullable<S["~standard"]["types"]>["output"]> {
  type Out = NonNullable<S["~standard"]["types"]>["output"];
  const check = (value: unknown): Out => {
    const result = standard["~standard"].validate(value);
    if (result instanceof Promise) throw new TypeError(`serde.schema needs a schema that validates synchronously (${standard["~standard"].vendor}'s did not)`);
    if (!result.issues) return result.value as Out;
    const issues = result.issues.map((i) => `${pathOf(i.path) || "(root)"}: ${i.message}`).join("; ");
    throw new TerminalError(`Invalid value: ${issues}`, { errorCode: BAD_INPUT });
  };
  return {
    contentType: "application/json",
    serialize: (value) => json.serialize(check(value)),
    deserialize: (data) => check(json.deserialize(data)),
  };
}

function pathOf(path: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined): string {
  return (path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join(".");
}

/**
 * The built-in serdes.
 * @example
 * ctx.run("fetch", () => bytes, { serde: serde.binary });
 */
export const serde = { json, binary, empty, zod, schema };
