/**
 * hostile: a client that drops its upload mid-body. The ingress answers a 400 IngressError
 * (what the client would see, were it still there) instead of throwing an unknown error,
 * which the ingress logged as "ingress: unexpected error … Network connection lost" for
 * every dropped upload (seen on workerd by test/worker/hostile-surface.test.ts's endless body).
 */
import { expect, test } from "vitest";
import { readBody } from "../../src/ingress/request.js";
import { IngressError } from "../../src/ingress/responses.js";

function droppedUpload(): Request {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(new TextEncoder().encode("[1,"));
      } else controller.error(new Error("Network connection lost."));
    },
  });
  return new Request("http://127.0.0.1/counter/k/add", { method: "POST", body, duplex: "half" } as RequestInit);
}

test("hostile: a body that fails mid-stream is a 400 saying so, not an unexpected error", async () => {
  const error = await readBody(droppedUpload(), 1024).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(IngressError);
  expect(error).toMatchObject({ code: 400, message: "the request body could not be read to its end: Network connection lost." });
});

test("hostile: the size limit still answers 413 for a body streaming past it", async () => {
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(600));
    },
  });
  const request = new Request("http://127.0.0.1/counter/k/add", { method: "POST", body, duplex: "half" } as RequestInit);
  await expect(readBody(request, 1024)).rejects.toMatchObject({ code: 413 });
});
