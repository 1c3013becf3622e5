/**
 * Writing a Restate invocation id from its two numbers (tests only: Resolute itself only
 * decodes Restate's ids and writes aliases from hash bytes, src/engine/restate-id.ts). With
 * BigInt, independently of the engine's byte-wise base62, so a test can check one with the other.
 */
import type { RestateInvocationId } from "../../src/engine/restate-id.js";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** `n` with its `bytes` bytes in reverse order (Restate's `to_be()` on a little-endian host). */
function byteSwap(n: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++, n >>= 8n) out = (out << 8n) | (n & 0xffn);
  return out;
}

function base62(n: bigint, width: number): string {
  let digits = "";
  do {
    digits = ALPHABET[Number(n % 62n)]! + digits;
    n /= 62n;
  } while (n > 0n);
  return digits.padStart(width, "0");
}

/** Restate's string for an invocation id: `inv_1`, then each number byte-swapped in base62 (11 and 22 digits). */
export function encodeRestateInvocationId({ partitionKey, uuid }: RestateInvocationId): string {
  if (partitionKey < 0n || partitionKey > (1n << 64n) - 1n || uuid <= 0n || uuid > (1n << 128n) - 1n) {
    throw new RangeError("a Restate invocation id has a u64 partition key and a non-zero u128 uuid");
  }
  return `inv_1${base62(byteSwap(partitionKey, 8), 11)}${base62(byteSwap(uuid, 16), 22)}`;
}
