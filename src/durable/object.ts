/**
 * The Resolute Durable Object: one per virtual-object key, per workflow shard
 * (many workflow ids) and per stateless-service shard. Wiring: the engine's
 * lifecycle over this object's SQLite store (store.ts), woken by its alarm
 * (alarm.ts), delivering to other objects through its outbox (outbox.ts). Its
 * public methods are the RPC surface (ObjectRpc, `admin`); everything else is private.
 */
import { DurableObject } from "#workers-runtime";
import type { Registry } from "../engine/registry.js";
import { objectNameOf, targetName, type TargetKinds } from "../engine/addressing.js";
import type { AwakeableAddress } from "../engine/ids.js";
import { awakeableSource, type CompletionVerdict } from "../engine/completions.js";
import type { LookupExpectation } from "../engine/admission.js";
import { Lifecycle } from "../engine/lifecycle.js";
import type { LifecycleDriver } from "../engine/lifecycle-driver.js";
import { deliveryOwner, isLimiterDelivery } from "../engine/messages.js";
import type { Completion } from "../engine/types.js";
import { tracingConfig, type TracingConfig, type TracingEnv, type TracingOptions } from "../tracing/config.js";
import { exporterFor } from "../tracing/exporter.js";
import { Tracer, factsOf } from "../tracing/tracer.js";
import { writeLogLine, type LogContext } from "./log-line.js";
import { BATCH_BYTES, Outbox, completionBytes } from "./outbox.js";
import type { DeliverOptions, Delivery, DeliveryReply, InvocationResult, InvokeRequest, ObjectRpc, OutputLookup, SendReceipt } from "./protocol.js";
import { Store } from "./store.js";
import { AlarmClock, REDELIVERY_MS } from "./alarm.js";
import { ObjectAdmin, type AdminRequest } from "./admin.js";
import { WALL_CLOCK, type ObjectClock } from "./object-clock.js";
import { REMINDER_MS, ownerIndexer, type Indexer } from "./indexer.js";
import { IndexShard, type IndexCall } from "./index-shard.js";
import { CommitGroup } from "./commit-group.js";
import { answerCall, answerableCall } from "./call-answers.js";
import { CallCover } from "./call-cover.js";
import { LimiterHost, isLimitsAdminView, type LimitsAdminView } from "./limiter-host.js";
import { WaitingRoom } from "../engine/waiting-room.js";

/** The requests waiting in all the objects of this isolate (module state lives as long as the isolate). */
const ISOLATE_WAITING = WaitingRoom.ofIsolate();

/** The Worker's bindings Resolute reads: its Durable Object namespace, the admin token, and OpenTelemetry's variables (see TracingOptions). */
export interface ResoluteEnv extends TracingEnv {
  RESOLUTE: DurableObjectNamespace;
  RESOLUTE_ADMIN_TOKEN?: string;
}

export interface ObjectConfig {
  registry: Registry;
  kinds: TargetKinds;
  /** See WorkerConfig.workflowShards. */
  workflowShards: number;
  /** See WorkerConfig.indexShards (0: no invocation index). */
  indexShards: number;
  /** See WorkerConfig.tracing. */
  tracing?: TracingOptions | false;
}

/** What the test fixtures may change in the objects (see buildWorker); a deployed Worker passes none. */
export interface ObjectOptions {
  /** Each object's clock. @default the wall clock */
  clock?: (ctx: DurableObjectState) => ObjectClock;
  /** Whether an object never sends its rows to the index (as if each send were lost). @default never */
  indexHeld?: (env: ResoluteEnv) => boolean;
}

/** An instance's public methods: what other objects, ingress and workerd call. */
export type ResoluteObjectInstance = DurableObject<ResoluteEnv> & ObjectRpc & {
  alarm(): Promise<void>;
  admin(request: AdminRequest | LimitsAdminView): Promise<unknown>;
  index(call: IndexCall): Promise<unknown>;
};

/** What createObjectClass returns, named because a declaration file cannot spell out an anonymous class with protected members. */
export type ObjectClass = new (ctx: DurableObjectState, env: ResoluteEnv) => ResoluteObjectInstance;

export function createObjectClass(config: ObjectConfig, options: ObjectOptions = {}): ObjectClass {
  return class ResoluteObject extends DurableObject<ResoluteEnv> implements ObjectRpc {
    readonly #clock: ObjectClock;
    readonly #store: Store;
    readonly #alarm: AlarmClock;
    readonly #outbox: Outbox;
    readonly #lifecycle: Lifecycle;
    /** Arrivals during a commit wait for it and then share the next one (group commit). */
    readonly #arrivals: CommitGroup;
    /** Calls whose callers hold their deliveries open: crash wake-ups for them are the callers' (call-cover.ts). */
    readonly #cover: CallCover;
    /** A settle of the alarm is queued for the end of this turn. */
    #settling = false;
    /** This owner's side of the invocation index (absent with `indexShards: 0`). */
    #indexer: Indexer | undefined;
    /** Present only when tracing is configured: otherwise no span is ever made. */
    readonly #tracer: Tracer | undefined;
    /** Whether this instance already replayed invocations left running by a previous one. */
    #recovered = false;
    /** Made when this object serves as an index shard (reserved names only). */
    #indexShard: IndexShard | undefined;
    /** What this object does when it serves as a limiter or a rule book (reserved names only). */
    readonly #limits: LimiterHost;

    constructor(ctx: DurableObjectState, env: ResoluteEnv) {
      super(ctx, env);
      const clock = (this.#clock = options.clock?.(ctx) ?? WALL_CLOCK);
      this.#store = new Store(ctx.storage);
      this.#arrivals = new CommitGroup(() => ctx.storage.sync());
      const woke = this.#store.wakeFacts();
      this.#alarm = new AlarmClock(ctx.storage, this.#store, clock);
      const objectName = (owner: string) => objectNameOf(owner, config.workflowShards);
      // A limiter's answer to an acquire it granted at once is that grant; a callee's, the call's completion.
      const replied = (reply: NonNullable<DeliveryReply>, delivery: Delivery) => this.#replied(reply, delivery);
      this.#outbox = new Outbox(this.#store, env.RESOLUTE, objectName, () => clock.now(), (d, o) => this.deliver(d, o), (at) => this.#alarm.ensureBy(at), replied);
      const { registry, kinds } = config;
      this.#cover = new CallCover({ everyLive: (covered) => this.#lifecycle.everyLive(covered), guard: () => this.#guard(), callerHere: (id) => this.#lifecycle.callerHere(id) });
      this.#tracer = this.#tracing(tracingConfig(config.tracing, env));
      const driver = this.#driver();
      // Its waiting requests count in the isolate's room too; by id, so that a reset instance's go with it.
      const waiting = ISOLATE_WAITING.room(ctx.id.toString());
      this.#lifecycle = new Lifecycle(this.#store, driver, { registry, kinds, lockHolder: woke.lockHolder, nonePending: !woke.anyPending, extraArgs: [env], waiting });
      this.#limits = new LimiterHost(ctx.storage, this.#store, { now: driver.now, deliverSoon: driver.deliverSoon, alarmBy: driver.wakeBy });
      // The index is fed by the store's own writes (store.changes): each says which columns it set.
      const indexClock = { now: () => clock.now(), alarmBy: (at: number) => this.#crashWakeBy(at) };
      if (config.indexShards > 0) this.#store.changes = this.#indexer = ownerIndexer(ctx, env.RESOLUTE, config.indexShards, indexClock, woke, options.indexHeld?.(env) ?? false);
      // A fresh instance (first use, or after a restart/eviction): invocations stored as running have
      // no attempt in memory and deliveries may be waiting — wake now to replay and redeliver them.
      // Whatever alarm storage reports, one is armed for the earliest due work (see AlarmClock).
      void ctx.blockConcurrencyWhile(async () => {
        if (woke.undelivered) this.#store.outboxDueNow(clock.now());
        await this.#alarm.start(woke.undelivered || woke.running ? clock.now() : woke.earliestDue);
      });
    }

    #driver(): LifecycleDriver {
      const clock = this.#clock;
      return {
        now: () => clock.now(),
        wakeBy: (at) => this.#alarm.ensureBy(at),
        executing: (executing) => {
          if (executing && this.#cover.covers()) return;
          this.#alarm.recovery(executing);
          if (!executing) this.#settleSoon();
        },
        deliverSoon: () => {
          // Deliver now, and make sure a crash before delivery is retried.
          this.#crashWakeBy(clock.now() + REDELIVERY_MS);
          void this.#outbox.flush();
        },
        sendOnce: (owner, delivery) => this.#outbox.sendOnce(owner, delivery),
        randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
        log: (level, id, args) => writeLogLine(level, this.#logContext(id), args),
        ...(this.#tracer ? { tracer: this.#tracer } : {}),
      };
    }

    /** A wake-up needed only if this process dies by `at`: none while every live attempt is a covered call's. */
    #crashWakeBy(at: number): void {
      if (!this.#cover.covers()) this.#alarm.guardBy(at);
    }

    /** The last call cover ended, or an uncovered attempt is live: what is still here gets its crash wake-ups. */
    #guard(): void {
      if (!this.#nothingLive() || this.#store.hasOutbox()) this.#alarm.guardBy(this.#clock.now() + REDELIVERY_MS);
      if (this.#lifecycle.executing) this.#alarm.recovery(true);
      // The index's reminder, skipped while covered: a completion it has not acknowledged may be lost with this object.
      if (this.#indexer?.reminding) this.#alarm.guardBy(this.#clock.now() + REMINDER_MS);
    }

    /**
     * At the end of this turn, if nothing is in memory any more, an alarm armed early for a crash
     * wake-up is set to exactly the next due work (a chain's root is not woken a second after its answer).
     */
    #settleSoon(): void {
      if (this.#settling) return;
      this.#settling = true;
      queueMicrotask(() => {
        this.#settling = false;
        this.#alarm.settle(() => this.#nothingLive() && !this.#indexer?.reminding);
      });
    }

    /** No attempt is in memory (none executing, none waiting). */
    #nothingLive(): boolean {
      return this.#lifecycle.everyLive(() => false);
    }

    /** The tracer of this object, reading from its storage what a restart took from memory; spans go to the isolate's exporter. */
    #tracing(tracing: TracingConfig | undefined): Tracer | undefined {
      if (!tracing) return undefined;
      const exporter = exporterFor(tracing);
      const store = this.#store;
      return new Tracer({
        now: () => this.#clock.now(),
        emit: (spans) => exporter.push(spans),
        lookup: (id) => {
          const row = store.invocation(id);
          return row && factsOf(row);
        },
        entry: (id, index) => {
          const found = store.entry(id, index);
          return found && { entry: found.entry, storedAt: store.entryAppendedAt(id, index) };
        },
      });
    }

    /** What a log line about `id` says it is about. */
    #logContext(id: string): LogContext {
      const about = this.#lifecycle.about(id);
      const trace = this.#tracer?.logIds(id);
      return { invocationId: id, ...(about ? { target: targetName(about.target), attempt: about.attempt } : {}), ...trace };
    }

    /** A request or a delivery arrived for `owner`. */
    #arrived(owner: string): void {
      this.#outbox.setOwner(owner);
      this.#lifecycle.checkExecuting();
    }

    invoke(request: InvokeRequest): Promise<InvocationResult> {
      this.#indexer?.requestStarted(); // first, before this request writes anything
      return this.#arrivals.run(() => {
        this.#arrived(request.owner);
        return this.#lifecycle.invoke(request);
      });
    }

    send(request: InvokeRequest): Promise<SendReceipt> {
      this.#indexer?.requestStarted(); // first, before this request writes anything
      return this.#arrivals.run(() => {
        this.#arrived(request.owner);
        return this.#lifecycle.send(request);
      });
    }

    attach(_owner: string, invocationId: string, expected?: LookupExpectation): Promise<OutputLookup> {
      return this.#arrivals.run(() => this.#lifecycle.lookup(invocationId, true, expected));
    }

    output(_owner: string, invocationId: string, expected?: LookupExpectation): Promise<OutputLookup> {
      return this.#arrivals.run(() => this.#lifecycle.lookup(invocationId, false, expected));
    }

    deliver(deliveries: Delivery[], options: DeliverOptions = {}): Promise<DeliveryReply[] | void> {
      return this.#arrivals.run(() => {
        this.#lifecycle.checkExecuting();
        const replies = deliveries.map((delivery) => this.#deliverOne(delivery, options));
        return replies.some((reply) => reply !== undefined) ? Promise.all(replies).then((all) => this.#withinResponse(all, deliveries)) : undefined;
      });
    }

    /**
     * Answers in one response stay under BATCH_BYTES (workerd refuses an RPC over 32 MiB, again
     * on each retry): a call past that is answered by a reply delivery, its caller subscribed
     * before the response leaves. (adversary: 36 calls answering 1 MB each to one key never returned.)
     */
    #withinResponse(replies: DeliveryReply[], deliveries: Delivery[]): DeliveryReply[] {
      let bytes = 0;
      return replies.map((reply, i) => {
        if (reply?.kind !== "answered" || (bytes += completionBytes(reply.completion)) <= BATCH_BYTES) return reply;
        const { request } = deliveries[i] as Extract<Delivery, { kind: "invoke" }>;
        this.#lifecycle.subscribe(request.invocationId, request.replyTo!);
        return undefined;
      });
    }

    /** Applies one delivery; its reply, if it has one (a call's comes when the call finishes soon). */
    #deliverOne(delivery: Delivery, options: DeliverOptions): DeliveryReply | Promise<DeliveryReply> {
      this.#outbox.setOwner(deliveryOwner(delivery));
      if (isLimiterDelivery(delivery)) return this.#limits.apply(delivery);
      const call = options.answerCalls && delivery.kind === "invoke" ? answerableCall(delivery.request, config.registry) : undefined;
      if (call) {
        this.#cover.open(call.invocationId);
        return answerCall(this.#lifecycle, call).then((completion) => {
          this.#cover.close(call.invocationId);
          return completion ? { kind: "answered", completion } : undefined;
        });
      }
      this.#lifecycle.deliver(delivery);
      return undefined;
    }

    /** A receiver answered a delivery this object sent: a limiter's grant, or a call's result (as if its reply had been delivered). */
    #replied(reply: NonNullable<DeliveryReply>, delivery: Delivery): void {
      if (reply.kind === "granted") return this.#lifecycle.granted(reply);
      if (delivery.kind !== "invoke" || !delivery.request.replyTo) return;
      const { owner, invocationId, index } = delivery.request.replyTo;
      this.#lifecycle.deliver({ kind: "complete", owner, invocationId, index, completion: reply.completion, calleeId: delivery.request.invocationId });
    }

    /** An awakeable's id from ingress: completes it only if it names an awakeable of a live invocation here. */
    completeAwakeable(address: AwakeableAddress, completion: Completion, traceparent?: string): Promise<CompletionVerdict> {
      return this.#arrivals.run(() => {
        this.#arrived(address.owner);
        return this.#lifecycle.complete(address.invocationId, address.index, completion, awakeableSource(address.secret, traceparent));
      });
    }

    override async alarm(): Promise<void> {
      // A healthy instance woken for nothing (a crash wake-up that was not needed) writes no recovery alarm.
      if (this.#recovered && !this.#lifecycle.executing && this.#alarm.quietFire()) return;
      await this.#alarm.alarmStarted();
      // Most wake-ups are recovery checks on a healthy instance: nothing due, no orphans.
      if (this.#recovered && this.#alarm.nothingDue) return this.#alarm.alarmEnded(this.#lifecycle.executing, true);
      this.#lifecycle.fireDue();
      if (!this.#recovered) {
        this.#recovered = true;
        this.#lifecycle.recoverOrphans();
      }
      await this.#outbox.flush();
      this.#alarm.alarmEnded(this.#lifecycle.executing);
    }

    /** Admin and inspection (token-checked by the router before it calls). */
    async admin(request: AdminRequest | LimitsAdminView): Promise<unknown> {
      if (isLimitsAdminView(request)) return this.#limits.admin(request);
      return new ObjectAdmin(this.#store, this.#lifecycle).handle(request);
    }

    /** Index shards only (reserved names): record owners' rows, answer queries over them. */
    async index(call: IndexCall): Promise<unknown> {
      this.#indexShard ??= new IndexShard(this.ctx.storage, () => this.#clock.now());
      return this.#indexShard.handle(call);
    }
  };
}
