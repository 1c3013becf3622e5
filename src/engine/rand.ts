/**
 * Deterministic randomness for `ctx.rand`: xoshiro128** seeded from the
 * invocation id, so a replay draws the same numbers. Not crypto-safe.
 */
import { hash53 } from "./ids.js";
import type { Rand } from "../../sdk/context.js";

/** `guard` runs before every draw (it throws where drawing is not allowed). */
export function createRand(seedText: string, guard: () => void = () => {}): Rand {
  let a = hash53(seedText, 1) >>> 0;
  let b = hash53(seedText, 2) >>> 0;
  let c = hash53(seedText, 3) >>> 0;
  let d = hash53(seedText, 4) >>> 0 || 1;
  const next32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const random = (): number => {
    guard();
    return (next32() * 2 ** 21 + (next32() >>> 11)) / 2 ** 53;
  };
  const uuidv4 = (): string => {
    guard();
    const bytes = Array.from({ length: 16 }, () => next32() & 0xff);
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
  return { random, uuidv4 };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
