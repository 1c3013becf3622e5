/**
 * The chaos runner's recorder: the fixture's `ctx.run` closures POST
 * `/effect/<id>` here (with their process's boot id), and every execution is
 * kept with the time it arrived, so the checker can count them.
 */
import type { IncomingMessage } from "node:http";
import { RecordingServer } from "../support/recording-server.js";
import { BOOT_HEADER, EFFECT_PATH } from "./protocol.js";

/** One execution of a step's side effect. */
export interface Execution {
  /** The workerd process (isolate) that ran it: two boot ids mean a crash between them. */
  boot: string;
  /** When it arrived (ms since the epoch, this process's clock). */
  at: number;
}

export type Executions = ReadonlyMap<string, readonly Execution[]>;

export class EffectRecorder extends RecordingServer {
  readonly executions = new Map<string, Execution[]>();
  /** Executions recorded in all, repeats included. */
  total = 0;

  static start(): Promise<EffectRecorder> {
    return new EffectRecorder().listen("");
  }

  /** How many distinct effects ran. */
  get distinct(): number {
    return this.executions.size;
  }

  /** Whether every one of `effects` ran at least once. */
  ranAll(effects: Iterable<string>): boolean {
    for (const effect of effects) if (!this.executions.has(effect)) return false;
    return true;
  }

  protected answer(req: IncomingMessage): { status: number; body: string } {
    const path = req.url ?? "";
    if (req.method !== "POST" || !path.startsWith(EFFECT_PATH)) return { status: 404, body: '{"message":"POST /effect/<id>"}' };
    const effect = decodeURIComponent(path.slice(EFFECT_PATH.length));
    const boot = String(req.headers[BOOT_HEADER] ?? "unknown");
    const list = this.executions.get(effect) ?? [];
    list.push({ boot, at: Date.now() });
    this.executions.set(effect, list);
    this.total++;
    return { status: 200, body: "{}" };
  }
}
