/**
 * A tiny HTTP server on loopback that handlers call from `ctx.run` closures, so
 * tests can count side effects across runtime restarts and hold a step open
 * (a "gate") while the test kills the runtime.
 */
import { createServer, type Server } from "node:http";

export class Probe {
  readonly hits = new Map<string, number>();
  readonly #gates = new Map<string, { open: boolean; waiting: (() => void)[] }>();
  #server!: Server;
  url = "";

  static async start(): Promise<Probe> {
    const probe = new Probe();
    probe.#server = createServer((req, res) => probe.#handle(req.url ?? "/", res));
    await new Promise<void>((r) => probe.#server.listen(0, "127.0.0.1", r));
    const address = probe.#server.address();
    probe.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    return probe;
  }

  count(name: string): number {
    return this.hits.get(name) ?? 0;
  }

  /** Requests to /gate/<name> hang until `open(name)`. */
  close(name: string): void {
    this.#gates.set(name, { open: false, waiting: [] });
  }

  open(name: string): void {
    const gate = this.#gates.get(name);
    this.#gates.set(name, { open: true, waiting: [] });
    gate?.waiting.forEach((release) => release());
  }

  async waitForHits(name: string, count: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count(name) < count) {
      if (Date.now() > deadline) throw new Error(`probe '${name}' reached ${this.count(name)} hits, expected ${count}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  #handle(path: string, res: import("node:http").ServerResponse): void {
    const [, kind, name = ""] = path.split("/");
    this.hits.set(name, (this.hits.get(name) ?? 0) + 1);
    const reply = () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ name, hit: this.hits.get(name) }));
    const gate = this.#gates.get(name);
    if (kind === "gate" && gate && !gate.open) return void gate.waiting.push(reply);
    reply();
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}
