import { describe, expect, it } from "vitest";
import { parseTarget, pathSegments, type IngressTarget } from "../../src/ingress/target.js";
import { registry } from "./fixtures.js";

const reg = registry();
const parse = (path: string): IngressTarget => parseTarget(pathSegments(path)!, reg);

function invalid(path: string, status: 400 | 404): string {
  const target = parse(path);
  if (target.type !== "invalid" || target.status !== status) throw new Error(`expected ${status} for ${path}, got ${JSON.stringify(target)}`);
  return target.message;
}
const notFoundMessage = (path: string) => invalid(path, 404);
const badPathMessage = (path: string) => invalid(path, 400);

describe("pathSegments", () => {
  it("URL-decodes each segment, so an encoded slash stays inside the key", () => {
    expect(pathSegments("/counter/a%2Fb/add")).toEqual(["counter", "a/b", "add"]);
    expect(pathSegments("/counter/caf%C3%A9%20x/add")).toEqual(["counter", "café x", "add"]);
  });

  it("ignores a trailing slash but keeps empty keys", () => {
    expect(pathSegments("/greeter/greet/")).toEqual(["greeter", "greet"]);
    expect(pathSegments("/counter//add")).toEqual(["counter", "", "add"]);
    expect(pathSegments("/")).toEqual([]);
  });

  it("returns undefined for malformed percent-encoding", () => {
    expect(pathSegments("/counter/%E0%A4%A/add")).toBeUndefined();
  });
});

describe("parseTarget: invocations", () => {
  it("parses service calls and sends", () => {
    expect(parse("/greeter/greet")).toEqual({ type: "invoke", service: "greeter", handler: "greet", send: false });
    expect(parse("/greeter/greet/send")).toEqual({ type: "invoke", service: "greeter", handler: "greet", send: true });
  });

  it("uses the service kind to tell a 'send' handler from the send marker", () => {
    expect(parse("/greeter/send")).toEqual({ type: "invoke", service: "greeter", handler: "send", send: false });
    expect(parse("/greeter/send/send")).toEqual({ type: "invoke", service: "greeter", handler: "send", send: true });
  });

  it("parses object calls with decoded keys, and object sends", () => {
    expect(parse("/counter/a%2Fb/add")).toEqual({ type: "invoke", service: "counter", key: "a/b", handler: "add", send: false });
    expect(parse("/counter/k/add/send")).toEqual({ type: "invoke", service: "counter", key: "k", handler: "add", send: true });
    // An object key may be literally "send".
    expect(parse("/counter/send/add")).toEqual({ type: "invoke", service: "counter", key: "send", handler: "add", send: false });
  });

  it("parses workflow run, run/send and shared handlers", () => {
    expect(parse("/signup/u1/run")).toEqual({ type: "invoke", service: "signup", key: "u1", handler: "run", send: false });
    expect(parse("/signup/u1/run/send")).toEqual({ type: "invoke", service: "signup", key: "u1", handler: "run", send: true });
    expect(parse("/signup/u1/click")).toEqual({ type: "invoke", service: "signup", key: "u1", handler: "click", send: false });
  });

  it("answers an unknown service with Restate's message and the known names", () => {
    expect(notFoundMessage("/nope/greet")).toBe(
      "service 'nope' not found, make sure to register the service before calling it. Known services: greeter, counter, signup",
    );
  });

  it("answers an unknown handler naming the handlers that exist", () => {
    const message = notFoundMessage("/greeter/wave");
    expect(message).toContain("handler 'greeter/wave' not found");
    expect(message).toContain("greet, send, secret, upload");
    expect(notFoundMessage("/counter/k/nope")).toContain("handler 'counter/nope' not found");
  });

  it("issue #10: a path of the wrong shape is Restate's 400 'bad path', explaining the shape", () => {
    expect(badPathMessage("/counter/add")).toContain("is a virtual object, call /counter/{key}/{handler}");
    expect(badPathMessage("/signup/run")).toContain("is a workflow, call /signup/{id}/{handler}");
    expect(badPathMessage("/greeter/greet/extra")).toContain("bad path, expected either /:service-name/:handler or /:object-name/:object-key/:handler");
    expect(badPathMessage("/counter/k/add/x")).toContain("bad path, expected either");
    expect(badPathMessage("/greeter")).toContain("bad path: /greeter");
    expect(badPathMessage("/nope")).toContain("bad path: /nope");
    expect(badPathMessage("/")).toContain("bad path: /");
    expect(badPathMessage("/restate")).toContain("bad path: /restate");
  });

  it("issue #10: an object key or workflow id over the limit is a 400 naming it", () => {
    expect(badPathMessage(`/counter/${"k".repeat(1025)}/add`)).toContain("more than the limit of 1024");
    expect(parse(`/counter/${"k".repeat(1024)}/add`)).toMatchObject({ type: "invoke" });
    expect(badPathMessage(`/signup/${"é".repeat(513)}/run`)).toMatch(/workflow id .* 1026 bytes/);
  });

  it("leaves private handlers to the router (it knows the policy)", () => {
    expect(parse("/greeter/secret")).toMatchObject({ type: "invoke", handler: "secret" });
  });
});

describe("parseTarget: /restate/...", () => {
  it("parses health", () => {
    expect(parse("/restate/health")).toEqual({ type: "health" });
  });

  it("parses attach and output by invocation id", () => {
    expect(parse("/restate/invocation/inv_1abc.xyz/attach")).toEqual({ type: "attach", by: "id", invocationId: "inv_1abc.xyz" });
    expect(parse("/restate/invocation/inv_1abc.xyz/output")).toEqual({ type: "output", by: "id", invocationId: "inv_1abc.xyz" });
  });

  it("parses attach and output by idempotency key, for services and keyed targets", () => {
    expect(parse("/restate/invocation/greeter/greet/my%20key/attach")).toEqual({
      type: "attach",
      by: "idempotency",
      service: "greeter",
      handler: "greet",
      idempotencyKey: "my key",
    });
    expect(parse("/restate/invocation/counter/a%2Fb/add/k1/output")).toEqual({
      type: "output",
      by: "idempotency",
      service: "counter",
      key: "a/b",
      handler: "add",
      idempotencyKey: "k1",
    });
  });

  it("checks the service, handler and key of an idempotency lookup", () => {
    expect(notFoundMessage("/restate/invocation/nope/greet/k/attach")).toContain("service 'nope' not found");
    expect(notFoundMessage("/restate/invocation/greeter/wave/k/attach")).toContain("handler 'greeter/wave' not found");
    expect(badPathMessage("/restate/invocation/counter/add/k/attach")).toContain("is keyed");
    expect(badPathMessage("/restate/invocation/greeter/x/greet/k/attach")).toContain("have no key");
  });

  it("parses workflow attach and output", () => {
    expect(parse("/restate/workflow/signup/u%2F1/attach")).toEqual({ type: "workflowAttach", workflow: "signup", id: "u/1" });
    expect(parse("/restate/workflow/signup/u1/output")).toEqual({ type: "workflowOutput", workflow: "signup", id: "u1" });
    expect(notFoundMessage("/restate/workflow/counter/k/attach")).toContain("not a workflow");
    expect(notFoundMessage("/restate/workflow/nope/k/attach")).toContain("service 'nope' not found");
  });

  it("parses awakeable resolve and reject, long and short form", () => {
    expect(parse("/restate/awakeables/sign_1abc/resolve")).toEqual({ type: "awakeable", id: "sign_1abc", action: "resolve" });
    expect(parse("/restate/a/sign_1abc/reject")).toEqual({ type: "awakeable", id: "sign_1abc", action: "reject" });
  });

  it("does not match other /restate paths: 404 for other endings, 400 for a missing part (as Restate)", () => {
    for (const path of ["/restate/health/x", "/restate/invocation/id/cancel", "/restate/workflow/signup/u1/cancel", "/restate/a/sign_1abc/accept", "/restate/nope"]) {
      expect(parse(path), path).toMatchObject({ type: "invalid", status: 404 });
    }
    expect(badPathMessage("/restate/invocation/a/b/c/d/e/f/attach")).toContain("bad path, expected either /restate/invocation/:invocation_id/output");
    expect(badPathMessage("/restate/invocation/x")).toContain("bad path, expected either");
    expect(badPathMessage("/restate/workflow/signup/u1")).toContain("bad path, expected either /restate/workflow/");
    expect(badPathMessage("/restate/a/sign_1abc")).toContain("bad path, expected either /restate/awakeables/:id/resolve");
  });
});
