/**
 * Stored golden journals (issue #11): for a handful of handlers, the journal the
 * memory runtime stores (through the journal codec) is checked in under
 * test/engine/golden/, with the handler's result. Each run
 *  1. runs the handler again and compares its stored journal and result with the file;
 *  2. replays the file: a fresh attempt resumes from the file's journal, records
 *     nothing new (no mismatch, no step run again) and returns the same result.
 * A change in the journal format or in replay semantics fails one of them; if the
 * change is intended, bump JOURNAL_VERSION (keep older files replaying) and
 * regenerate with `GOLDEN_UPDATE=1 npx vitest run test/engine/golden.test.ts`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { Context, ObjectContext, WorkflowContext, WorkflowSharedContext } from "../../sdk/context.js";
import { rpc } from "../../sdk/client-types.js";
import { object, service, workflow } from "../../sdk/define.js";
import { TerminalError } from "../../sdk/errors.js";
import { RestatePromise } from "../../sdk/promise.js";
import { Attempt } from "../../src/engine/attempt.js";
import { JOURNAL_VERSION, decodeEntry, type StoredEntry } from "../../src/engine/journal-codec.js";
import type { MemoryRuntime } from "../../src/engine/memory.js";
import { Registry } from "../../src/engine/registry.js";
import type { Completion } from "../../src/engine/types.js";
import { runtime, standaloneHost } from "./support.js";

const GOLDEN = resolve(__dirname, "golden");
const UPDATE = process.env.GOLDEN_UPDATE === "1";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

let published: string[] = [];

const tally = object({
  name: "tally",
  handlers: {
    add: async (ctx: ObjectContext, n: number) => {
      const count = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", count);
      return count;
    },
  },
});

const golden = service({
  name: "golden",
  handlers: {
    run: async (ctx: Context, who: string) => {
      const greeting = await ctx.run("greet", () => `hello ${who}`);
      const refused = await ctx.run("refuse", (): string => {
        throw new TerminalError("no such account", { errorCode: 404 });
      }).catch((e: TerminalError) => `${e.code}: ${e.message}`);
      return { greeting, refused, now: await ctx.date.now(), random: ctx.rand.random(), uuid: ctx.rand.uuidv4() };
    },
    sleep: async (ctx: Context) => {
      await ctx.sleep(1_000, "nap");
      await ctx.sleep({ seconds: 2 });
      return "awake";
    },
    call: async (ctx: Context) => {
      const count = await ctx.objectClient(tally, "t").add(2);
      const sent = await ctx.objectSendClient(tally, "t").add(1, rpc.sendOpts({ delay: 500 })).invocationId;
      return { count, sent };
    },
    awakeable: async (ctx: Context) => {
      const signal = ctx.awakeable<string>();
      await ctx.run("publish", () => void published.push(signal.id));
      return `signalled: ${await signal.promise}`;
    },
    combinators: async (ctx: Context) => {
      const all = await RestatePromise.all([ctx.run("a", () => 1), ctx.sleep(10).map(() => 2)]);
      const race = await RestatePromise.race([ctx.sleep(100).map(() => "slow"), ctx.sleep(5).map(() => "fast")]);
      const any = await RestatePromise.any([ctx.run("bad", (): number => { throw new TerminalError("bad"); }), ctx.run("good", () => 3)]);
      const settled = await RestatePromise.allSettled([ctx.run("x", () => "x"), ctx.run("y", (): string => { throw new TerminalError("y"); })]);
      const timedOut = await ctx.sleep(1_000).orTimeout(50).then(() => false, () => true);
      return { all, race, any, settled: settled.map((s) => s.status), timedOut };
    },
  },
});

const counter = object({
  name: "counter",
  handlers: {
    state: async (ctx: ObjectContext, n: number) => {
      const before = (await ctx.get<number>("count")) ?? 0;
      ctx.set("count", before + n);
      ctx.set("scratch", "x");
      const keys = await ctx.stateKeys();
      ctx.clear("scratch");
      return { before, keys, after: await ctx.get<number>("count"), scratch: await ctx.get<string>("scratch") };
    },
  },
});

const approval = workflow({
  name: "approval",
  handlers: {
    run: async (ctx: WorkflowContext, title: string) => {
      ctx.set("stage", "waiting");
      const early = await ctx.promise<string>("decision").peek();
      const decision = await ctx.promise<string>("decision");
      ctx.set("stage", "decided");
      return { title, early: early ?? null, decision };
    },
    decide: async (ctx: WorkflowSharedContext, decision: string) => ctx.promise<string>("decision").resolve(decision),
  },
});

const SERVICES = [golden, tally, counter, approval];

/** How each golden journal is produced: drive the runtime, return the invocation whose journal is stored. */
const SCENARIOS: Record<string, (rt: MemoryRuntime) => Promise<string>> = {
  run: (rt) => rt.invoke("golden", "run", "ada"),
  sleep: async (rt) => {
    const id = await rt.invoke("golden", "sleep");
    await rt.advance(3_000);
    return id;
  },
  state: async (rt) => {
    await rt.invoke("counter", "state", 1, { key: "k" });
    return rt.invoke("counter", "state", 2, { key: "k" });
  },
  call: async (rt) => {
    const id = await rt.invoke("golden", "call");
    await rt.advance(500);
    return id;
  },
  awakeable: async (rt) => {
    published = [];
    const id = await rt.invoke("golden", "awakeable");
    await rt.resolveAwakeable(published[0]!, "go");
    return id;
  },
  promise: async (rt) => {
    const id = await rt.invoke("approval", "run", "launch", { key: "w1" });
    await rt.invoke("approval", "decide", "approved", { key: "w1" });
    return id;
  },
  combinators: async (rt) => {
    const id = await rt.invoke("golden", "combinators");
    await rt.advance(1_000);
    return id;
  },
};

/** A golden file: the invocation, its stored journal and its result, payloads as UTF-8 text. */
interface GoldenFile {
  journalVersion: number;
  invocationId: string;
  target: { service: string; handler: string; key?: string };
  input: string;
  journal: GoldenEntry[];
  output: string;
}

type GoldenCompletion = { value: string | null } | { failure: { name: string; message: string; code: number } };
type GoldenEntry = Omit<StoredEntry, "completion"> & { completion?: GoldenCompletion };

function toGolden(entry: StoredEntry): GoldenEntry {
  const { completion, ...rest } = entry;
  if (!completion) return rest;
  if ("failure" in completion) return { ...rest, completion: { failure: completion.failure } };
  return { ...rest, completion: { value: completion.value === null ? null : decoder.decode(completion.value) } };
}

function fromGolden(entry: GoldenEntry): StoredEntry {
  const { completion, ...rest } = entry;
  if (!completion) return rest;
  const stored: Completion = "failure" in completion ? { failure: completion.failure } : { value: completion.value === null ? null : encoder.encode(completion.value) };
  return { ...rest, completion: stored };
}

async function record(name: string): Promise<GoldenFile> {
  const rt = runtime(SERVICES);
  const id = await SCENARIOS[name]!(rt);
  const info = rt.info(id);
  const spec = rt.registry.handler(info.target.service, info.target.handler)!;
  const stored = rt.store(info.owner).storedJournal(id);
  const input = { run: "ada", state: 2, promise: "launch" }[name];
  return {
    journalVersion: JOURNAL_VERSION,
    invocationId: id,
    target: info.target,
    input: decoder.decode(spec.input.serialize(input)),
    journal: stored.map(toGolden),
    output: JSON.stringify(rt.result(id)),
  };
}

function readGolden(name: string): GoldenFile {
  return JSON.parse(readFileSync(resolve(GOLDEN, `${name}.json`), "utf8")) as GoldenFile;
}

/** Files written by older journal formats (not regenerated): they must keep replaying. */
const OLDER = ["awakeable.v1"];

describe("golden journals", () => {
  for (const name of Object.keys(SCENARIOS)) {
    it(`${name}: the handler records the stored journal and result`, async () => {
      const recorded = await record(name);
      if (UPDATE) writeFileSync(resolve(GOLDEN, `${name}.json`), `${JSON.stringify(recorded, null, 2)}\n`);
      expect(recorded).toEqual(readGolden(name));
    });
  }

  for (const name of [...Object.keys(SCENARIOS), ...OLDER]) {
    it(`${name}: the stored journal replays to the same result without recording anything`, async () => {
      const file = readGolden(name);
      const registry = new Registry(SERVICES);
      const spec = registry.handler(file.target.service, file.target.handler)!;
      // No random source: a replay that drew a new secret would fail here.
      const { host, store } = standaloneHost(file.invocationId, file.target);
      const attempt = new Attempt({
        invocationId: file.invocationId,
        target: file.target,
        input: encoder.encode(file.input),
        headers: {},
        journal: file.journal.map((e) => decodeEntry(fromGolden(e), file.journalVersion)),
        spec,
        kinds: { kindOf: (service) => registry.service(service)?.kind, serviceShards: 4 },
        host,
      });
      const outcome = await attempt.start();
      expect(store.journal(file.invocationId), "the replay recorded new entries").toEqual([]);
      expect(outcome.kind).toBe("success");
      if (outcome.kind !== "success") return;
      expect(JSON.parse(decoder.decode(outcome.value))).toEqual(JSON.parse(file.output));
    });
  }
});
