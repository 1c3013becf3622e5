/**
 * The Worker of the real-runtime fixtures: createWorker's, plus what tests need and a
 * deployed Worker must not contain (test/package/deploy-bindings.test.ts checks the
 * bundle): a clock each object lets tests move (`advanceClock`, which test-routes.ts's
 * `/__test/advance` calls); the alarm its storage holds (`storedAlarm`, `/__test/alarm`); deliveries refused while the binding
 * RESOLUTE_TEST_HOLD_OUTBOX is "1", so they wait in their sender's outbox as if it had
 * died before delivering (restart with "0" to let them through); while
 * RESOLUTE_TEST_HOLD_ANSWERS is "1", a call answered in its delivery's response is
 * committed by the callee but the response never leaves (the callee hits the probe's
 * `answer-held` once it is durable), as if the caller died before applying it; and, while
 * RESOLUTE_TEST_HOLD_INDEX is "1", index rows never sent, as if each send were lost.
 */
import { buildWorker, type ResoluteWorker, type WorkerConfig } from "../../src/worker.js";
import type { ObjectClass, ResoluteEnv } from "../../src/durable/object.js";
import type { DeliverOptions, Delivery, DeliveryReply } from "../../src/durable/protocol.js";
import { TestClock } from "./test-clock.js";

type TestEnv = ResoluteEnv & { RESOLUTE_TEST_HOLD_OUTBOX?: string; RESOLUTE_TEST_HOLD_ANSWERS?: string; RESOLUTE_TEST_HOLD_INDEX?: string; PROBE_URL?: string };

export function createTestWorker(config: WorkerConfig): ResoluteWorker {
  const worker = buildWorker(config, {
    clock: (ctx) => TestClock.of(ctx.storage),
    indexHeld: (env) => (env as TestEnv).RESOLUTE_TEST_HOLD_INDEX === "1",
  });
  return { ...worker, ResoluteObject: withTestHooks(worker.ResoluteObject) };
}

function withTestHooks(Base: ObjectClass): ObjectClass {
  return class TestResoluteObject extends Base {
    /** Moves this object's clock forward and fires what became due, as its alarm would. */
    async advanceClock(ms: number): Promise<number> {
      const clock = TestClock.of(this.ctx.storage);
      clock.advance(ms);
      await this.alarm();
      return clock.now();
    }

    /** The alarm this object's storage holds (wall-clock ms), or null: what a crash would leave armed. */
    storedAlarm(): Promise<number | null> {
      return this.ctx.storage.getAlarm();
    }

    override async deliver(deliveries: Delivery[], options?: DeliverOptions): Promise<DeliveryReply[] | void> {
      if ((this.env as TestEnv).RESOLUTE_TEST_HOLD_OUTBOX === "1") throw new Error("deliveries are held (RESOLUTE_TEST_HOLD_OUTBOX=1)");
      const answers = await super.deliver(deliveries, options);
      const env = this.env as TestEnv;
      if (env.RESOLUTE_TEST_HOLD_ANSWERS === "1" && answers?.some((answer) => answer?.kind === "answered")) {
        await this.ctx.storage.sync();
        if (env.PROBE_URL) await fetch(`${env.PROBE_URL}/hit/answer-held`);
        return new Promise<never>(() => {});
      }
      return answers;
    }
  };
}
