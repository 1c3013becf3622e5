/**
 * ContextImpl: the object behind `Context`, `ObjectContext` and
 * `WorkflowContext`. It translates each SDK call into a journal operation of
 * ContextCore; it holds no durable state itself.
 */
import type {
  CallOptions,
  Context,
  ContextDate,
  DurablePromise,
  GenericCall,
  GenericSend,
  InvocationReference,
  Rand,
  Request,
  RunOptions,
  SendOptions,
  WorkflowContext,
} from "../../sdk/context.js";
import type { HandlerKind } from "../../sdk/define.js";
import { delayToMs, type Duration } from "../../sdk/duration.js";
import { TerminalError, errorToRecord } from "../../sdk/errors.js";
import type { InvocationHandle, InvocationPromise, RestatePromise } from "../../sdk/promise.js";
import { serde as serdes, type Serde } from "../../sdk/serde.js";
import { RPC_OPTS } from "../../sdk/client-types.js";
import { limitKeyProblem, withLimitKey } from "../../sdk/flow-control.js";
import { never, ContextCore, decodeWith, encode } from "./context-core.js";
import { AWAKEABLE_SECRET_BYTES, CALLEE_ID_RANDOM_BYTES, invocationOwner, randomToken, makeAwakeableId, makeInvocationId } from "./ids.js";
import { addressOf, callAddress, idempotentInvocationId, livesBeside, targetName, type TargetKinds } from "./addressing.js";
import { BesideCalls } from "./beside-calls.js";
import { runClosure } from "./run.js";
import { boundedError, checkValue } from "./limits.js";
import { base64ToBytes, bytesToBase64 } from "./bytes.js";
import { OutgoingTrace } from "./trace-context.js";
import type { Completion, Target } from "./types.js";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export interface ContextParams {
  core: ContextCore;
  request: Request;
  kind: HandlerKind;
  kinds: TargetKinds;
}

export class ContextImpl implements WorkflowContext {
  readonly #core: ContextCore;
  readonly #request: Request;
  readonly #kind: HandlerKind;
  readonly #kinds: TargetKinds;
  /** This attempt's calls whose callees live beside it, still in flight (a fan-out spreads over the shards). */
  readonly #beside: BesideCalls;
  readonly date: ContextDate;
  #console: Console | undefined;

  constructor(params: ContextParams) {
    this.#core = params.core;
    this.#request = params.request;
    this.#kind = params.kind;
    this.#kinds = params.kinds;
    this.#beside = new BesideCalls((index) => this.#core.journal.done(index));
    this.date = {
      now: () => this.#core.captured("run", "date.now", () => encode(serdes.json, this.#core.control.host.now()), decodeWith<number>(serdes.json)),
      toJSON: async () => new Date(await this.date.now()).toJSON(),
    };
  }

  get rand(): Rand {
    return this.#core.rand;
  }

  get console(): Console {
    return (this.#console ??= quietDuringReplay(this.#core));
  }

  get key(): string {
    return this.#request.target.key ?? "";
  }

  request(): Request {
    return this.#request;
  }

  run<T>(nameOrAction: string | (() => T | Promise<T>), action?: () => T | Promise<T>, options?: RunOptions<T>): RestatePromise<T> {
    const name = typeof nameOrAction === "string" ? nameOrAction : "";
    const fn = typeof nameOrAction === "function" ? nameOrAction : action;
    if (!fn) throw new TypeError("ctx.run needs a function");
    return runClosure(this.#core, name, fn, options);
  }

  sleep(duration: Duration | number, name?: string): RestatePromise<void> {
    return this.#core.sleep(duration, name);
  }

  // ---- state ----

  get<T>(name: string, serde?: Serde<T>): Promise<T | null> {
    return this.#core.captured("getState", name, () => this.#core.control.host.readState(this.#core.id, name), (bytes) =>
      bytes === null ? null : decodeWith(serde)(bytes),
    );
  }

  stateKeys(): Promise<string[]> {
    return this.#core.captured("getStateKeys", "", () => encode(serdes.json, this.#core.control.host.stateKeys(this.#core.id)), decodeWith<string[]>(serdes.json));
  }

  set<T>(name: string, value: T, serde?: Serde<T>): void {
    this.#assertWritable("set");
    const bytes = encode(serde, value);
    checkValue(`the state value '${name}'`, bytes);
    this.#core.effect("setState", name, () => [{ type: "setState", key: name, value: bytes }]);
  }

  clear(name: string): void {
    this.#assertWritable("clear");
    this.#core.effect("clearState", name, () => [{ type: "clearState", key: name }]);
  }

  clearAll(): void {
    this.#assertWritable("clearAll");
    this.#core.effect("clearAllState", "", () => [{ type: "clearAllState" }]);
  }

  #assertWritable(op: string): void {
    if (this.#kind === "exclusive" || this.#kind === "workflow") return;
    throw new TerminalError(`ctx.${op}() is not allowed in a ${this.#kind} handler: only exclusive object handlers and a workflow's run may write state`);
  }

  // ---- awakeables ----

  awakeable<T>(serde?: Serde<T>): { id: string; promise: RestatePromise<T> } {
    // The id's secret is drawn once and journaled: a replay hands out the same id.
    let secret: string | null = null;
    const op = this.#core.awaitable("awakeable", "", decodeWith(serde), () => {
      secret = randomToken(this.#core.control.host.randomBytes(AWAKEABLE_SECRET_BYTES));
      return { facts: { secret }, effects: [] };
    });
    if (!op) return { id: "", promise: this.#core.wrap(never()) };
    if (op.recorded) secret = op.recorded.secret;
    return { id: makeAwakeableId(this.#core.id, op.index, secret), promise: op.promise };
  }

  resolveAwakeable<T>(id: string, payload?: T, serde?: Serde<T>): void {
    const completion: Completion = { value: encode(serde, payload as T) };
    checkValue("an awakeable's payload", completion.value);
    this.#completeAwakeable(id, completion);
  }

  rejectAwakeable(id: string, reason: string | TerminalError): void {
    const failure = boundedError(typeof reason === "string" ? { name: "TerminalError", message: reason, code: 500 } : errorToRecord(reason));
    this.#completeAwakeable(id, { failure });
  }

  #completeAwakeable(id: string, completion: Completion): void {
    this.#core.effect("completeAwakeable", id, () => {
      // The entry's index is the one just taken (effects are made in the same synchronous step).
      const traceparent = this.#trace()?.traceparent(this.#core.journal.length - 1);
      return [{ type: "completeAwakeable", awakeableId: id, completion, ...(traceparent ? { traceparent } : {}) }];
    });
  }

  #outgoingTrace: OutgoingTrace | undefined;

  /** What calls, sends and awakeable completions carry of this trace: only when tracing is on (made on first use). */
  #trace(): OutgoingTrace | undefined {
    if (!this.#core.control.host.tracer) return undefined;
    return (this.#outgoingTrace ??= new OutgoingTrace(this.#core.id, this.#request.headers));
  }

  /** The headers a call or send made by entry `index` carries. */
  #outgoingHeaders(headers: Record<string, string> | undefined, index: number): Record<string, string> {
    return this.#trace()?.headers(headers ?? {}, index) ?? headers ?? {};
  }

  // ---- calls ----

  genericCall<REQ = Uint8Array, RES = Uint8Array>(call: GenericCall<REQ, RES>): InvocationPromise<RES> {
    const target: Target = { service: call.service, handler: call.method, ...(call.key !== undefined ? { key: call.key } : {}) };
    const input = encode(call.inputSerde ?? (serdes.binary as Serde<any>), call.parameter);
    checkValue(`the parameter of a call to ${targetName(target)}`, input);
    const limited = callHeaders(call);
    let calleeId = "";
    const op = this.#core.awaitable("call", call.name ?? targetName(target), decodeWith(call.outputSerde ?? (serdes.binary as Serde<any>)), (index) => {
      calleeId = this.#calleeId(target, index, call.idempotencyKey, true);
      const headers = this.#outgoingHeaders(limited, index);
      const key = call.idempotencyKey;
      return {
        facts: { calleeId },
        effects: [{ type: "call", call: { invocationId: calleeId, target, input, headers, ...(key ? { idempotencyKey: key } : {}), replyTo: { invocationId: this.#core.id, index } } }],
      };
    });
    if (!op) return Object.assign(this.#core.wrap(never()), { invocationId: never() });
    if (op.recorded) calleeId = op.recorded.calleeId;
    if (livesBeside(this.#core.id, calleeId, target)) this.#beside.note(op.index);
    return Object.assign(op.promise, { invocationId: Promise.resolve(calleeId) }) as InvocationPromise<RES>;
  }

  genericSend<REQ = Uint8Array>(send: GenericSend<REQ>): InvocationHandle {
    const target: Target = { service: send.service, handler: send.method, ...(send.key !== undefined ? { key: send.key } : {}) };
    const input = encode(send.inputSerde ?? (serdes.binary as Serde<any>), send.parameter);
    checkValue(`the parameter of a send to ${targetName(target)}`, input);
    const delayMs = send.delay === undefined ? 0 : delayToMs(send.delay, "send delay");
    const limited = callHeaders(send);
    let calleeId = "";
    let index = -1;
    const entry = this.#core.effect(
      "send",
      send.name ?? targetName(target),
      () => {
        const notBefore = delayMs > 0 ? this.#core.control.host.now() + delayMs : undefined;
        const key = send.idempotencyKey;
        const headers = this.#outgoingHeaders(limited, index);
        const call = { invocationId: calleeId, target, input, headers, ...(key ? { idempotencyKey: key } : {}), ...(notBefore ? { notBefore } : {}) };
        return [{ type: "call", call }];
      },
      // Called before the effects, with the entry's index just taken.
      () => {
        index = this.#core.journal.length - 1;
        calleeId = this.#calleeId(target, index, send.idempotencyKey);
        return { calleeId };
      },
    );
    if (entry) calleeId = entry.calleeId;
    return { invocationId: entry ? Promise.resolve(calleeId) : never() };
  }

  /**
   * The callee's id: from the idempotency key when there is one, else random (journaled with the
   * entry, so a replay reuses it). Not derived from this invocation's id: anyone holding that id (its
   * caller, every client it was shown to) could then compute its callees' ids and read their results
   * at /restate/invocation/{id}/output (Restate's callee ids are random too). A request-response
   * call (`call`) may live beside its caller (callAddress): its id then names the caller's owner,
   * unless another callee beside it is still in flight (BesideCalls).
   */
  #calleeId(target: Target, index: number, idempotencyKey: string | undefined, call = false): string {
    if (idempotencyKey) return idempotentInvocationId(this.#kinds, target, idempotencyKey).invocationId;
    const seed = `${this.#core.id}#${index}`;
    const address = call ? callAddress(this.#kinds, target, seed, this.#beside.busy() ? undefined : invocationOwner(this.#core.id)) : addressOf(this.#kinds, target, seed);
    return makeInvocationId(address.owner, address.fixedSuffix ?? randomToken(this.#core.control.host.randomBytes(CALLEE_ID_RANDOM_BYTES)));
  }

  serviceClient(def: { name: string }): any {
    return this.#client(def.name, undefined, false);
  }
  objectClient(def: { name: string }, key: string): any {
    return this.#client(def.name, key, false);
  }
  workflowClient(def: { name: string }, id: string): any {
    return this.#client(def.name, id, false);
  }
  serviceSendClient(def: { name: string }): any {
    return this.#client(def.name, undefined, true);
  }
  objectSendClient(def: { name: string }, key: string): any {
    return this.#client(def.name, key, true);
  }
  workflowSendClient(def: { name: string }, id: string): any {
    return this.#client(def.name, id, true);
  }

  #client(service: string, key: string | undefined, send: boolean): unknown {
    return new Proxy(
      {},
      {
        get: (_target, method) => {
          if (typeof method !== "string") return undefined;
          return (parameter: unknown, opts?: CallOptions & SendOptions & { [RPC_OPTS]?: string }) => {
            const common = {
              service,
              method,
              parameter,
              ...(key !== undefined ? { key } : {}),
              inputSerde: opts?.input ?? serdes.json,
              ...(opts?.headers ? { headers: opts.headers } : {}),
              ...(opts?.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
              ...(opts?.limitKey ? { limitKey: opts.limitKey } : {}),
              ...(opts?.name ? { name: opts.name } : {}),
            };
            if (send) return this.genericSend({ ...common, ...(opts?.delay !== undefined ? { delay: opts.delay } : {}) });
            return this.genericCall({ ...common, outputSerde: opts?.output ?? serdes.json });
          };
        },
      },
    );
  }

  cancel(invocationId: string): void {
    this.invocation(invocationId).cancel();
  }

  attach<T>(invocationId: string, serde?: Serde<T>): RestatePromise<T> {
    return this.invocation(invocationId).attach(serde);
  }

  invocation(id: string): InvocationReference {
    return {
      cancel: () => {
        this.#core.effect("cancel", id, () => [{ type: "cancel", invocationId: id }]);
      },
      attach: <T>(serde?: Serde<T>) => {
        const op = this.#core.awaitable("attach", id, decodeWith(serde), (index) => ({ effects: [{ type: "attach", index, invocationId: id }] }));
        return op ? op.promise : this.#core.wrap(never());
      },
    };
  }

  // ---- workflow promises ----

  promise<T>(name: string, serde?: Serde<T>): DurablePromise<T> {
    const core = this.#core;
    const get = (): RestatePromise<T> => {
      const op = core.awaitable("getPromise", name, decodeWith(serde), (index) => ({ effects: [{ type: "awaitPromise", name, index }] }));
      return op ? op.promise : core.wrap(never());
    };
    let awaited: RestatePromise<T> | undefined;
    const lazy = (): RestatePromise<T> => (awaited ??= get());
    const complete = async (completion: Completion): Promise<void> => {
      const step = core.advance("completePromise", name);
      if (!step) return never();
      const result = step.recorded?.completion ?? core.recordDone(step.index, "completePromise", name, { value: null }, [{ type: "completePromise", name, completion }]);
      if (result && "failure" in result) throw new TerminalError(result.failure.message, { errorCode: result.failure.code });
    };
    return {
      get,
      peek: () =>
        core.captured(
          "peekPromise",
          name,
          () => encoder.encode(JSON.stringify(peekRecord(core.control.host.peekPromise(core.id, name)))),
          (bytes) => unpeek<T>(bytes, serde),
        ),
      resolve: async (value?: T) => {
        const bytes = encode(serde, value as T);
        checkValue(`the value of promise '${name}'`, bytes);
        return complete({ value: bytes });
      },
      reject: (message: string) => complete({ failure: boundedError({ name: "TerminalError", message, code: 500 }) }),
      then: (onFulfilled, onRejected) => lazy().then(onFulfilled, onRejected),
      catch: (onRejected) => lazy().catch(onRejected),
      finally: (onFinally) => lazy().finally(onFinally),
      [Symbol.toStringTag]: "DurablePromise",
    } as DurablePromise<T>;
  }
}

/**
 * A call's headers, with its limit key as the `x-restate-limit-key` header (how the key
 * travels with the invocation, from ingress too). A key too long to name a limiter is the
 * handler's bug: a TerminalError (400), never retried.
 */
function callHeaders(call: { headers?: Record<string, string>; limitKey?: string; service: string; method: string }): Record<string, string> {
  const problem = call.limitKey ? limitKeyProblem(call.limitKey) : undefined;
  if (problem) throw new TerminalError(`call to ${call.service}/${call.method}: ${problem}`, { errorCode: 400 });
  return withLimitKey(call.headers, call.limitKey);
}

/** A peeked promise as journaled; the value is base64 so binary payloads survive JSON. */
type PeekRecord = { state: "pending" } | { state: "value"; base64: string } | { state: "failure"; message: string; code: number };

function peekRecord(completion: Completion | undefined): PeekRecord {
  if (!completion) return { state: "pending" };
  if ("failure" in completion) return { state: "failure", message: completion.failure.message, code: completion.failure.code };
  return { state: "value", base64: bytesToBase64(completion.value ?? new Uint8Array(0)) };
}

function unpeek<T>(bytes: Uint8Array | null, serde?: Serde<T>): T | undefined {
  const record = JSON.parse(decoder.decode(bytes ?? new Uint8Array(0))) as PeekRecord;
  if (record.state === "pending") return undefined;
  if (record.state === "failure") throw new TerminalError(record.message, { errorCode: record.code });
  return decodeWith(serde)(base64ToBytes(record.base64));
}

/** A console that only speaks once the handler is past its recorded journal. */
function quietDuringReplay(core: ContextCore): Console {
  const host = core.control.host;
  const speak = (level: "debug" | "info" | "warn" | "error") => (...args: unknown[]) => {
    if (!core.journal.replaying && !core.control.closed) host.log(level, core.id, args);
  };
  return { ...console, log: speak("info"), info: speak("info"), debug: speak("debug"), warn: speak("warn"), error: speak("error") } as Console;
}

export type { Context };
