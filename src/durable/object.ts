/**
 * The Resolute Durable Object: one per virtual-object key, per workflow shard
 * (many workflow ids) and per stateless-service shard. Its public methods are the RPC surface
 * (ObjectRpc); everything else is private. Owns storage, the alarm and
 * delivery to other objects.
 */
import { DurableObject } from "#workers-runtime";
import type { Registry } from "../engine/registry.js";
import { objectNameOf, WORKFLOW_RUN_SUFFIX, type TargetKinds } from "../engine/addressing.js";
import { invocationOwner, parseOwnerName, type AwakeableAddress } from "../engine/ids.js";
import type { CompletionVerdict } from "../engine/completions.js";
import type { Completion } from "../engine/types.js";
import { Outbox } from "./outbox.js";
import type { Delivery, InvocationResult, InvokeRequest, ObjectRpc, OutputLookup, SendReceipt } from "./protocol.js";
import { Runtime } from "./runtime.js";
import { STATUS } from "../engine/invocation-row.js";
import { Store } from "./store.js";
import { AlarmClock } from "./alarm.js";
import { ObjectAdmin, type AdminView } from "./admin.js";

export interface ResoluteEnv {
  RESOLUTE: DurableObjectNamespace;
  RESOLUTE_ADMIN_TOKEN?: string;
  /** "1" enables test hooks (virtual clock). Never set in production. */
  RESOLUTE_TEST_HOOKS?: string;
  /** Test hook: "1" keeps deliveries in the outbox, to test restarts between journal and delivery. */
  RESOLUTE_TEST_HOLD_OUTBOX?: string;
}

export interface ObjectConfig {
  registry: Registry;
  kinds: TargetKinds;
  /** See WorkerConfig.workflowShards. */
  workflowShards: number;
}

/** What createObjectClass returns, named because a declaration file cannot spell out an anonymous class with protected members. */
export type ObjectClass = new (ctx: DurableObjectState, env: ResoluteEnv) => DurableObject<ResoluteEnv> & ObjectRpc;

export function createObjectClass(config: ObjectConfig): ObjectClass {
  return class ResoluteObject extends DurableObject<ResoluteEnv> implements ObjectRpc {
    readonly #store: Store;
    readonly #clock: AlarmClock;
    readonly #runtime: Runtime;
    readonly #outbox: Outbox;

    constructor(ctx: DurableObjectState, env: ResoluteEnv) {
      super(ctx, env);
      this.#store = new Store(ctx.storage);
      const woke = this.#store.wakeFacts();
      this.#clock = new AlarmClock(ctx.storage, this.#store, woke.clockOffset);
      const hostName = (owner: string) => objectNameOf(owner, config.workflowShards);
      this.#outbox = new Outbox(this.#store, env.RESOLUTE, hostName, () => this.#clock.now(), (d) => this.deliver(d), (at) => this.#clock.ensureBy(at), () => env.RESOLUTE_TEST_HOLD_OUTBOX === "1");
      this.#runtime = new Runtime(this.#store, config.registry, config.kinds, {
        now: () => this.#clock.now(),
        alarmBy: (at) => this.#clock.ensureBy(at),
        recovery: (executing) => this.#clock.recovery(executing),
        flushOutbox: () => void this.#outbox.flush(),
      }, [env]);
      this.#runtime.lockHeldBy(woke.lockHolder);
      // A fresh instance (first use, or after a restart/eviction): invocations stored as running have
      // no attempt in memory and deliveries may be waiting — wake now to replay and redeliver them.
      // Whatever alarm storage reports, one is armed for the earliest due work (see AlarmClock).
      void ctx.blockConcurrencyWhile(async () => {
        if (woke.undelivered) this.#store.outboxDueNow(this.#clock.now());
        await this.#clock.start(woke.undelivered || woke.running ? this.#clock.now() : woke.earliestDue);
      });
    }

    async invoke(request: InvokeRequest): Promise<InvocationResult> {
      this.#outbox.setOwner(request.owner);
      this.#runtime.checkExecuting();
      const { row, fresh } = this.#runtime.admit(request);
      if (!fresh && !request.idempotencyKey && this.#runtime.isRepeatedWorkflowRun(request)) {
        return { invocationId: row.id, ok: false, error: { name: "TerminalError", message: "the workflow method was already invoked", code: 409 } };
      }
      if (row.status === STATUS.completed) return this.#runtime.resultOf(row);
      return this.#runtime.wait(row.id);
    }

    async send(request: InvokeRequest): Promise<SendReceipt> {
      this.#outbox.setOwner(request.owner);
      this.#runtime.checkExecuting();
      const { row, fresh } = this.#runtime.admit(request);
      return this.#runtime.receipt(row, !fresh);
    }

    attach(_owner: string, invocationId: string): Promise<OutputLookup> {
      return this.#runtime.lookup(invocationId, true);
    }

    output(_owner: string, invocationId: string): Promise<OutputLookup> {
      return this.#runtime.lookup(invocationId, false);
    }

    async deliver(deliveries: Delivery[]): Promise<void> {
      this.#runtime.checkExecuting();
      for (const delivery of deliveries) {
        this.#outbox.setOwner(delivery.kind === "invoke" ? delivery.request.owner : delivery.owner);
        this.#apply(delivery);
      }
    }

    #apply(d: Delivery): void {
      switch (d.kind) {
        case "invoke": {
          const { row, fresh } = this.#runtime.admit(d.request, d.request.replyTo);
          if (!fresh && d.request.replyTo) this.#subscribe(row.id, d.request.replyTo);
          return;
        }
        case "complete":
          return void this.#runtime.complete(d.invocationId, d.index, d.completion, { kind: "result", ...(d.calleeId !== undefined ? { calleeId: d.calleeId } : {}) });
        case "awakeable":
          // A delivery without a secret was stored before ids had one: it proves nothing.
          return void (d.secret !== undefined && this.#runtime.complete(d.invocationId, d.index, d.completion, { kind: "awakeable", secret: d.secret }));
        case "subscribe":
          return this.#subscribe(d.invocationId, d.subscriber);
        case "cancel":
          return this.#runtime.cancel(d.invocationId);
      }
    }

    /** An awakeable's id from ingress: completes it only if it names an awakeable of a live invocation here. */
    async completeAwakeable(address: AwakeableAddress, completion: Completion): Promise<CompletionVerdict> {
      this.#outbox.setOwner(address.owner);
      this.#runtime.checkExecuting();
      return this.#runtime.complete(address.invocationId, address.index, completion, { kind: "awakeable", secret: address.secret });
    }

    /** Someone waits for an invocation's result: answer now if done, else remember them. */
    #subscribe(invocationId: string, subscriber: { owner: string; invocationId: string; index: number }): void {
      const row = this.#store.invocation(invocationId);
      const now = this.#clock.now();
      if (row && row.status !== STATUS.completed) return this.#runtime.subscribe(invocationId, subscriber);
      const completion = row?.completion ?? { failure: { name: "TerminalError", message: `invocation '${invocationId}' not found`, code: 404 } };
      this.#store.enqueue(subscriber.owner, { kind: "complete", owner: subscriber.owner, invocationId: subscriber.invocationId, index: subscriber.index, calleeId: invocationId, completion }, now);
      this.#runtime.deliverSoon();
    }

    override async alarm(): Promise<void> {
      await this.#clock.alarmStarted();
      // Most wake-ups are recovery checks on a healthy instance: nothing due, no orphans.
      if (this.#checkedOrphans && this.#clock.nothingDue) return this.#clock.alarmEnded(this.#runtime.executing, true);
      this.#checkedOrphans = true;
      this.#fireDue();
      await this.#outbox.flush();
      this.#clock.alarmEnded(this.#runtime.executing);
    }

    /** Whether this instance already replayed invocations left running by a previous one. */
    #checkedOrphans = false;

    #fireDue(): void {
      const now = this.#clock.now();
      for (const timer of this.#store.dueTimers(now)) this.#runtime.complete(timer.inv, timer.idx, { value: null }, { kind: "timer" });
      this.#runtime.startDue();
      for (const id of this.#store.deleteExpired(now)) this.#onRemoved(id);
      this.#runtime.recoverOrphans();
    }

    /** An invocation was deleted (retention ended, or an admin purged it). */
    #onRemoved(id: string): void {
      // A workflow's instance ends with its run: its state and promises go too, and the id may run again.
      if (!id.endsWith(`.${WORKFLOW_RUN_SUFFIX}`)) return;
      const owner = parseOwnerName(invocationOwner(id) ?? "");
      if (owner?.kind === "w") this.#store.clearWorkflowData(owner.key);
    }

    /** Admin and inspection (token-checked by the router before it calls). */
    async admin(view: AdminView): Promise<unknown> {
      return new ObjectAdmin(this.#store, this.#runtime, (id) => this.#onRemoved(id)).handle(view);
    }

    /** Test hook: moves this object's clock forward and fires what became due. */
    async advanceClock(ms: number): Promise<number> {
      if (this.env.RESOLUTE_TEST_HOOKS !== "1") throw new Error("test hooks are disabled");
      this.#clock.advance(ms);
      this.#fireDue();
      await this.#outbox.flush();
      this.#clock.sync(this.#runtime.executing);
      return this.#clock.now();
    }
  };
}
