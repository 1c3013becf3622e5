/**
 * Cron: Cloudflare's Cron Triggers (`[triggers] crons` in wrangler.toml) call the
 * Worker's `scheduled` handler; each schedule whose cron matches sends one
 * invocation, as a one-way send from ingress would. The idempotency key is the
 * cron and the tick's time, so a tick delivered twice (Cron Triggers are
 * at-least-once) still starts the handler once.
 */
import type { TargetKinds } from "../engine/addressing.js";
import type { Registry } from "../engine/registry.js";
import type { InvokeRequest } from "../durable/protocol.js";
import { invocationIdFor } from "./invocation-id.js";
import { objectStub } from "./object-stub.js";

export interface Schedule {
  /** The cron expression, exactly as listed under `[triggers] crons` in wrangler.toml. */
  cron: string;
  service: string;
  handler: string;
  /** The object key or workflow id (required for those; absent for a service). */
  key?: string;
  /** The handler's input, serialized with its input serde. */
  input?: unknown;
}

interface SchedulesEnv {
  RESOLUTE: DurableObjectNamespace;
}

export type ScheduledHandler = (controller: Pick<ScheduledController, "cron" | "scheduledTime">, env: SchedulesEnv) => Promise<void>;

/** Checks every schedule against the registry now (a typo fails at start-up, not at the first tick). */
export function createScheduler(schedules: readonly Schedule[], registry: Registry, kinds: TargetKinds, workflowShards: number): ScheduledHandler {
  for (const schedule of schedules) checkSchedule(schedule, registry);
  return async (controller, env) => {
    const due = schedules.filter((s) => s.cron === controller.cron);
    const tick = new Date(controller.scheduledTime).toISOString();
    await Promise.all(due.map((schedule) => send(schedule, tick, registry, kinds, workflowShards, env)));
  };
}

function checkSchedule(schedule: Schedule, registry: Registry): void {
  const where = `schedule '${schedule.cron}' → ${schedule.service}/${schedule.handler}`;
  if (!schedule.cron.trim()) throw new TypeError(`${where}: the cron is empty`);
  const service = registry.service(schedule.service);
  if (!service) throw new TypeError(`${where}: no service '${schedule.service}'`);
  if (!registry.handler(schedule.service, schedule.handler)) throw new TypeError(`${where}: '${schedule.service}' has no handler '${schedule.handler}'`);
  const keyed = service.kind !== "service";
  if (keyed && schedule.key === undefined) throw new TypeError(`${where}: ${service.kind === "object" ? "an object" : "a workflow"} needs a key`);
  if (!keyed && schedule.key !== undefined) throw new TypeError(`${where}: a service takes no key`);
}

async function send(schedule: Schedule, tick: string, registry: Registry, kinds: TargetKinds, workflowShards: number, env: SchedulesEnv): Promise<void> {
  const spec = registry.handler(schedule.service, schedule.handler)!;
  const target = { service: schedule.service, handler: schedule.handler, ...(schedule.key !== undefined ? { key: schedule.key } : {}) };
  const idempotencyKey = `cron ${schedule.cron} ${tick}`;
  const { owner, invocationId } = invocationIdFor(kinds, target, idempotencyKey);
  const input = schedule.input === undefined ? new Uint8Array(0) : spec.input.serialize(schedule.input);
  const request: InvokeRequest = { owner, invocationId, target, input, headers: {}, invokedBy: "cron", idempotencyKey };
  await objectStub(env.RESOLUTE, owner, workflowShards).send(request);
}
