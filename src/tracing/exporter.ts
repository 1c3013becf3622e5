/**
 * Sends finished spans to the OTLP/HTTP collector in batches, off the request
 * path: objects push spans as they finish; a timer (one per isolate and endpoint:
 * Durable Objects sharing an isolate share the batch) POSTs them within FLUSH_MS,
 * one request at a time, back to back while full batches wait.
 *
 * Why a timer and never the pushing turn: an outgoing request in the middle of a
 * turn makes the object commit what it wrote so far and commit the rest again (two
 * fsyncs for one request, measured for the invocation index, index-sender.ts). A
 * timer's turn writes nothing. And why spans wait SETTLE_MS: the timer runs in one
 * object's context, whose output gate does not wait for the other objects' commits;
 * spans pushed SETTLE_MS earlier belong to turns whose commits are done (a commit
 * takes a few ms), so a span does not leave before the step it describes is stored.
 * A failed export is dropped with one log line, never retried: tracing must not pile
 * up work when the collector is down. Spans held when the isolate ends are lost.
 */
import { encodeSpans } from "./otlp.js";
import type { Span } from "./span.js";
import type { TracingConfig } from "./config.js";

/** Longest a finished span waits to be sent. */
export const FLUSH_MS = 1_000;
/** How old a span must be before it is sent (its object's commit is done by then). */
export const SETTLE_MS = 50;
/** Spans in one request at most (OpenTelemetry's BatchSpanProcessor default). */
export const MAX_BATCH = 512;
/** Spans held at most while the collector is slow; newer ones are dropped beyond (and counted in a log line). */
export const MAX_QUEUED = 8_192;
const EXPORT_TIMEOUT_MS = 10_000;
/** A timer not fired by then was lost with its object (evicted): the next push arms another. */
const HUNG_MS = 10_000;

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export class SpanExporter {
  #queue: Span[] = [];
  /** When each queued span was pushed (same order). */
  #pushedAt: number[] = [];
  #dropped = 0;
  #timerAt: number | undefined;
  #inFlight = false;

  constructor(
    readonly config: TracingConfig,
    private readonly fetcher: Fetch = (url, init) => fetch(url, init),
  ) {}

  /** Spans waiting to be sent. */
  get queued(): number {
    return this.#queue.length;
  }

  push(spans: readonly Span[]): void {
    const room = MAX_QUEUED - this.#queue.length;
    if (spans.length > room) this.#dropped += spans.length - Math.max(room, 0);
    const now = Date.now();
    for (let i = 0; i < Math.min(spans.length, room); i++) {
      this.#queue.push(spans[i]!);
      this.#pushedAt.push(now);
    }
    this.#arm();
  }

  #arm(ms = FLUSH_MS): void {
    const now = Date.now();
    if (this.#timerAt !== undefined && now < this.#timerAt + HUNG_MS) return;
    this.#timerAt = now + ms;
    setTimeout(() => {
      this.#timerAt = undefined;
      void this.#send();
    }, ms);
  }

  async #send(): Promise<void> {
    // The request in flight arms the next send when it ends (a timeout ends it at the latest).
    if (this.#inFlight) return;
    this.#reportDropped();
    const settled = Date.now() - SETTLE_MS;
    let count = 0;
    while (count < Math.min(this.#queue.length, MAX_BATCH) && this.#pushedAt[count]! <= settled) count++;
    if (count === 0) return void (this.#queue.length > 0 && this.#arm(SETTLE_MS));
    const batch = this.#queue.splice(0, count);
    this.#pushedAt.splice(0, count);
    this.#inFlight = true;
    try {
      const response = await this.fetcher(this.config.url, {
        method: "POST",
        headers: { ...this.config.headers, "content-type": "application/json" },
        body: encodeSpans({ serviceName: this.config.serviceName }, batch),
        signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (!response.ok) this.#failed(batch.length, `HTTP ${response.status}`);
    } catch (error) {
      this.#failed(batch.length, String(error));
    } finally {
      this.#inFlight = false;
      // A full batch waiting leaves at once (this is the end of the previous request's turn, not a request's).
      if (this.#queue.length >= MAX_BATCH) void this.#send();
      else if (this.#queue.length > 0) this.#arm();
    }
  }

  #failed(count: number, why: string): void {
    const url = new URL(this.config.url);
    log(`tracing: exporting ${count} spans to ${url.origin}${url.pathname} failed (${why}); they are dropped, not retried`);
  }

  #reportDropped(): void {
    if (this.#dropped === 0) return;
    log(`tracing: ${this.#dropped} spans dropped: more than ${MAX_QUEUED} were waiting for the collector`);
    this.#dropped = 0;
  }
}

function log(message: string): void {
  console.warn(JSON.stringify({ level: "warn", message }));
}

const exporters = new Map<string, SpanExporter>();

/** The isolate's exporter for a configuration (objects of one Worker share it). */
export function exporterFor(config: TracingConfig): SpanExporter {
  const key = JSON.stringify(config);
  let exporter = exporters.get(key);
  if (!exporter) exporters.set(key, (exporter = new SpanExporter(config)));
  return exporter;
}
