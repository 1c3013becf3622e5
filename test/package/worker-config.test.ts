/**
 * createWorker refuses shard counts that address no object or more than a request may call:
 * a serviceShards of 0 made every stateless invocation's owner "s:<service>:NaN", and an
 * index of more shards than one request's subrequests let a deployment-wide query fail.
 */
import { describe, expect, it } from "vitest";
import { createWorker, service } from "resolute";

const services = [service({ name: "noop", handlers: { run: async () => null } })];

describe("createWorker's shard counts", () => {
  it.each([
    ["serviceShards", 0],
    ["serviceShards", 1.5],
    ["serviceShards", Number.NaN],
    ["serviceShards", 4097],
    ["workflowShards", -1],
    ["workflowShards", 4097],
    ["indexShards", -1],
    ["indexShards", 33],
  ] as const)("refuses %s = %s, naming the option and its range", (name, value) => {
    expect(() => createWorker({ services, [name]: value })).toThrow(new RegExp(`^${name} must be a whole number from \\d+ to \\d+, got ${value}$`));
  });

  it.each([
    { serviceShards: 1, workflowShards: 0, indexShards: 0 },
    { serviceShards: 4096, workflowShards: 4096, indexShards: 32 },
  ])("takes the ends of each range: %o", (counts) => {
    expect(typeof createWorker({ services, ...counts }).fetch).toBe("function");
  });
});
