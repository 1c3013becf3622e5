/**
 * A fake external service served from Node for runtime tests (a mailer, a
 * payment provider): listens on loopback, reads each request's body, and can
 * hold its answers (`hold`/`release`) to test a restart while a call is in
 * flight. Subclasses record what they need and decide the answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export abstract class RecordingServer {
  #server: Server | undefined;
  #held: (() => void)[] | undefined;
  url = "";

  /** Starts listening; `url` becomes `http://127.0.0.1:<port><path>`. */
  protected async listen(path: string): Promise<this> {
    const server = createServer((req, res) => void this.#receive(req, res));
    this.#server = server;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}${path}`;
    return this;
  }

  /** Handles one request whose body is `body`; returns the answer to send. */
  protected abstract answer(req: IncomingMessage, body: string): Promise<{ status: number; body: string }> | { status: number; body: string };

  /** Answers wait until `release()`; requests are still recorded on arrival. */
  hold(): void {
    this.#held ??= [];
  }

  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    held.forEach((answer) => answer());
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }

  async #receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { status, body } = await this.answer(req, Buffer.concat(chunks).toString("utf8"));
    const reply = () => void res.writeHead(status, { "content-type": "application/json" }).end(body);
    if (this.#held) this.#held.push(reply);
    else reply();
  }
}
