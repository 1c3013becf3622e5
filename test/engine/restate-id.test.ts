/**
 * Issue #13 (Restate's CLI `invocations describe`): Restate's invocation id format, checked
 * against ids a real restate-server 1.7.12 (npm @restatedev/restate-server) produced on
 * loopback on 2026-12-01, with their partition keys as its own SQL reported them
 * (`SELECT CAST(partition_key AS VARCHAR), id, target, idempotency_key FROM
 * sys_invocation_status`). Where Restate derives the UUID (a workflow's run, an idempotent
 * call: the first 16 bytes of a SHA-256, restatedev/restate crates/types identifiers.rs)
 * the test derives it too, so both numbers are checked, not only the round trip.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeRestateInvocationId, isRestateInvocationId, restateAliasOf } from "../../src/engine/restate-id.js";
import { encodeRestateInvocationId } from "../support/restate-ids.js";
import { makeInvocationId } from "../../src/engine/ids.js";

const REAL: { id: string; pk: string; target: string; idempotencyKey?: string }[] = [
  { id: "inv_18qOUyukKY1C4QKAxnONxNgrHLBVYarMMU", pk: "16441891948827916386", target: "signup/wf-2/run" },
  { id: "inv_1jFEjVDI9dt15W2c7YBObdjpBQQrPF1HUa", pk: "10607417763794199013", target: "signup/wf-1/run" },
  { id: "inv_18steh8UW9VG3dICuic7xYCQkSr2vmGLnC", pk: "889001646537607010", target: "signup/wf-3/run" },
  { id: "inv_1iO8gNaW0ZcI79SC66ySpxq6nA1uPuoE6z", pk: "12164735553153995739", target: "greeter/greet", idempotencyKey: "k1" },
  { id: "inv_19GGrxCgymdh5BeygnfAtX14jUGjpmLzS7", pk: "9186032010529200240", target: "greeter/greet", idempotencyKey: "01M8RQ1Q6NMZPKZCETVYJ74RS9" },
  { id: "inv_1alNRebhHVfc66GyVKC7yd1BsYg79hpgZr", pk: "16894958500638790264", target: "greeter/greet", idempotencyKey: "01M8RQ1Q72EXX6MKX1RXKE1AEN" },
  { id: "inv_1fcvrc4o9BaM1OGVkBBEOSyuB7hk2sQhrP", pk: "7512624066157351089", target: "greeter/greet", idempotencyKey: "01M8RQ1Q6WMQ5GGF6W89AGWFBY" },
  { id: "inv_148VyfXQIKPJ45khf7LJyOXscXRWncaYGq", pk: "9220410185792439344", target: "greeter/chain", idempotencyKey: "01M8RQ3XX9VT3AW142WNRAE110" },
  { id: "inv_1jJOFEtKQPi17tXAlugOpRDTiuPQPwBD66", pk: "5312490486819645925", target: "counter/bob/add", idempotencyKey: "01M8RQ1Q7PTDN8PB530PHF0FYW" },
  { id: "inv_1l3Hc716hrBy348HHO3B0G0ijTUPywCPqb", pk: "18192584643539258357", target: "counter/alice/add", idempotencyKey: "01M8RQ1Q7DG6SXNXFQ4E8J2R65" },
  { id: "inv_12dm1rztttCm5QXELuEdHPqVwN0x2GSjWc", pk: "9668785369086217497", target: "counter/carol/add", idempotencyKey: "01M8RQ3XXGMH0BVNPASM78C2HC" },
  // Called from a handler: a random (ULID) uuid, only its partition key is known.
  { id: "inv_15w3La01s0AX4rcmHvXeZiPfUTHmE1kupb", pk: "2577753834618831424", target: "greeter/greet" },
  { id: "inv_1a7qvwM4xAEl0YgMhLVMVVIXYZ3S7af6aR", pk: "954632591210635125", target: "greeter/greet" },
];

/** Restate's deterministic uuid (InvocationUuid::generate), when there is one. */
function derivedUuid(target: string, idempotencyKey?: string): bigint | undefined {
  const [service, a, b] = target.split("/");
  const seed = service === "signup" ? `wf,${service},${a}` : idempotencyKey !== undefined ? `ik,${[service, a, b].filter(Boolean).join(",")},${idempotencyKey}` : undefined;
  if (seed === undefined) return undefined;
  return BigInt(`0x${createHash("sha256").update(seed).digest().subarray(0, 16).toString("hex")}`);
}

describe("Restate's invocation id format", () => {
  it.each(REAL)("decodes and re-encodes $id ($target)", ({ id, pk, target, idempotencyKey }) => {
    const decoded = decodeRestateInvocationId(id)!;
    expect(decoded.partitionKey).toBe(BigInt(pk));
    const uuid = derivedUuid(target, idempotencyKey);
    if (uuid !== undefined) expect(decoded.uuid).toBe(uuid);
    expect(encodeRestateInvocationId(decoded)).toBe(id);
  });

  it("pads both numbers to their widths (zeros and the largest values)", () => {
    const small = encodeRestateInvocationId({ partitionKey: 0n, uuid: 1n });
    const large = encodeRestateInvocationId({ partitionKey: (1n << 64n) - 1n, uuid: (1n << 128n) - 1n });
    for (const id of [small, large]) expect(id).toMatch(/^inv_1[0-9a-zA-Z]{33}$/);
    expect(decodeRestateInvocationId(small)).toEqual({ partitionKey: 0n, uuid: 1n });
    expect(decodeRestateInvocationId(large)).toEqual({ partitionKey: (1n << 64n) - 1n, uuid: (1n << 128n) - 1n });
  });

  it("refuses what Restate's parser refuses", () => {
    const real = REAL[0]!.id;
    expect(isRestateInvocationId(real.slice(0, -1))).toBe(false);
    expect(isRestateInvocationId(`${real}0`)).toBe(false);
    expect(isRestateInvocationId(real.replace("inv_1", "inv_2"))).toBe(false);
    expect(isRestateInvocationId(real.replace(/.$/, "-"))).toBe(false);
    // 11 digits can spell more than 2^64: such a partition key does not parse.
    expect(isRestateInvocationId(`inv_1${"Z".repeat(11)}${"0".repeat(21)}1`)).toBe(false);
    expect(() => encodeRestateInvocationId({ partitionKey: 0n, uuid: 0n })).toThrow(RangeError);
  });
});

describe("the Restate-format alias of a Resolute id", () => {
  it("is deterministic, in Restate's format, and different for different ids", async () => {
    const a = makeInvocationId("o:counter:k", "abc");
    const b = makeInvocationId("o:counter:k", "abd");
    const alias = await restateAliasOf(a);
    expect(isRestateInvocationId(alias)).toBe(true);
    expect(await restateAliasOf(a)).toBe(alias);
    expect(await restateAliasOf(b)).not.toBe(alias);
    // Never mistaken for a Resolute id (which always has a '.'), nor the other way round.
    expect(alias).not.toContain(".");
    expect(isRestateInvocationId(a)).toBe(false);
  });

  it("is the SHA-256 of the id, under its own domain", async () => {
    const id = makeInvocationId("s:steps:3", "0123456789abcdef0123456789abcdef");
    const digest = createHash("sha256").update(`resolute restate-alias v1\0${id}`).digest();
    const expected = encodeRestateInvocationId({ partitionKey: digest.readBigUInt64BE(0), uuid: BigInt(`0x${digest.subarray(8, 24).toString("hex")}`) });
    expect(await restateAliasOf(id)).toBe(expected);
  });
});
