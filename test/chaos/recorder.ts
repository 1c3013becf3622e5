/**
 * The chaos runner's recorder: the fixture's `ctx.run` closures POST
 * `/effect/<id>` here (with their process's boot id), and every execution is
 * kept with the time it arrived, so the checker can count them.
 */
import type { IncomingMessage } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { RecordingServer } from "../support/recording-server.js";
import { BOOT_HEADER, EFFECT_PATH, GROUP_HEADER, HOLD_HEADER } from "./protocol.js";

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
  /** Held effects in flight now, and the most at once, by group (a limit key of chaosLimited). */
  readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();

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

  protected async answer(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const path = req.url ?? "";
    if (req.method !== "POST" || !path.startsWith(EFFECT_PATH)) return { status: 404, body: '{"message":"POST /effect/<id>"}' };
    const effect = decodeURIComponent(path.slice(EFFECT_PATH.length));
    const boot = String(req.headers[BOOT_HEADER] ?? "unknown");
    const list = this.executions.get(effect) ?? [];
    list.push({ boot, at: Date.now() });
    this.executions.set(effect, list);
    this.total++;
    const hold = Number(req.headers[HOLD_HEADER] ?? 0);
    if (hold > 0) await this.#held(String(req.headers[GROUP_HEADER] ?? ""), hold, req);
    return { status: 200, body: "{}" };
  }

  /**
   * Keeps an effect open for `ms`, counted in flight in `group` until then or until its
   * connection closes (its process was killed), so a crash never inflates the count.
   */
  async #held(group: string, ms: number, req: IncomingMessage): Promise<void> {
    const now = (this.inFlight.get(group) ?? 0) + 1;
    this.inFlight.set(group, now);
    this.maxInFlight.set(group, Math.max(now, this.maxInFlight.get(group) ?? 0));
    let closed: () => void = () => {};
    const gone = new Promise<void>((resolve) => (closed = resolve));
    req.socket.once("close", closed);
    await Promise.race([sleep(ms), gone]);
    req.socket.off("close", closed);
    this.inFlight.set(group, (this.inFlight.get(group) ?? 1) - 1);
  }
}
