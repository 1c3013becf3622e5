/**
 * A Resolute context as Restate's handlers expect it. Everything is the
 * context's own member, except:
 * - clients (`ctx.serviceClient(…).handler(…)` and friends) take Restate's
 *   argument shapes: `(input)`, `(opts)`, `(input, opts)` with `Opts`/`SendOpts`;
 * - the members of Restate's context that Resolute does not run throw an error
 *   that says so, instead of "is not a function".
 */
import { callArguments } from "./rpc.js";

const CLIENT_FACTORIES = new Set(["serviceClient", "objectClient", "workflowClient", "serviceSendClient", "objectSendClient", "workflowSendClient"]);

/** Members of Restate 1.17's context without a Resolute counterpart, and why. */
const UNSUPPORTED: Record<string, string> = {
  signal: "invocation signals are not supported",
  scope: "scopes (flow control) are not supported",
  client: "clients from code-free descriptors (iface) are not supported: use ctx.serviceClient(definition)",
  sendClient: "clients from code-free descriptors (iface) are not supported: use ctx.serviceSendClient(definition)",
};

type AnyFn = (...args: unknown[]) => unknown;

export function restateContext<C extends object>(ctx: C): C {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(ctx, {
    get(target, prop) {
      const cached = bound.get(prop);
      if (cached !== undefined) return cached;
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof prop === "string" && value === undefined && prop in UNSUPPORTED) return unsupported(prop);
      if (typeof value !== "function") return value;
      // Bound to the real context: its methods use private fields, which a proxy does not have.
      const fn = (value as AnyFn).bind(target);
      const member = typeof prop === "string" && CLIENT_FACTORIES.has(prop) ? (...args: unknown[]) => restateClient(fn(...args) as object) : fn;
      bound.set(prop, member);
      return member;
    },
  });
}

function restateClient(client: object): object {
  return new Proxy(client, {
    get(target, method) {
      const call = Reflect.get(target, method) as AnyFn | undefined;
      if (typeof call !== "function") return call;
      return (...args: unknown[]) => {
        const { input, options } = callArguments(args);
        return call(input, options);
      };
    },
  });
}

function unsupported(member: string): () => never {
  return () => {
    throw new Error(`ctx.${member}() is not available on Resolute: ${UNSUPPORTED[member]} (see the README's "Coming from Restate")`);
  };
}
