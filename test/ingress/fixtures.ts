/** Small definitions shared by the ingress tests. */
import { handlers, object, service, workflow } from "../../sdk/define.js";
import { serde } from "../../sdk/serde.js";
import { Registry } from "../../src/engine/registry.js";

export const greeter = service({
  name: "greeter",
  handlers: {
    greet: async (_ctx, name: string) => `hello ${name}`,
    // A handler literally named "send": /greeter/send is a call, /greeter/send/send a send.
    send: async () => "sent",
    secret: handlers.handler({ ingressPrivate: true }, async () => "hidden"),
    upload: handlers.handler({ input: serde.binary }, async (_ctx, data: Uint8Array) => data.length),
    // Any text/… body (Restate's `accept` pattern).
    note: handlers.handler({ accept: "text/*", input: serde.binary }, async (_ctx, data: Uint8Array) => data.length),
  },
});

export const counter = object({
  name: "counter",
  handlers: {
    add: async (_ctx, n: number) => n,
    get: handlers.object.shared(async () => 0),
  },
});

export const signup = workflow({
  name: "signup",
  handlers: {
    run: async (_ctx, email: string) => email,
    click: async () => "clicked",
  },
});

export function registry(): Registry {
  return new Registry([greeter, counter, signup]);
}
