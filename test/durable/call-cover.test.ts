/**
 * Issue 14: CallCover decides when a crash wake-up may be skipped (every live attempt is
 * a call whose caller holds the delivery open and redelivers) and guards what is left
 * when the last cover ends.
 */
import { describe, expect, it } from "vitest";
import { CallCover } from "../../src/durable/call-cover.js";

function cover(live: string[]) {
  const state = { live, guards: 0 };
  const c = new CallCover({ everyLive: (covered) => state.live.every(covered), guard: () => void state.guards++ });
  return { c, state };
}

describe("issue 14: call cover", () => {
  it("covers nothing without an open call, and nothing while an uncovered attempt is live", () => {
    const { c } = cover(["x"]);
    expect(c.covers()).toBe(false);
    c.open("y");
    expect(c.covers()).toBe(false); // x's caller is not waiting for it
  });

  it("covers while every live attempt is an open call's, and guards when the cover ends after a skipped wake-up", () => {
    const { c, state } = cover(["b"]);
    c.open("b");
    expect(c.covers()).toBe(true);
    c.close("b"); // answered, or the caller was told "accepted"
    expect(state.guards).toBe(1);
  });

  it("a call that ends with its attempt still live (its caller was told \"accepted\") is guarded", () => {
    const { c, state } = cover(["b", "d"]);
    c.open("b");
    c.open("d");
    expect(c.covers()).toBe(true);
    c.close("d"); // d still runs, now on its own
    expect(state.guards).toBe(1);
  });

  it("guards nothing when no wake-up was skipped", () => {
    const { c, state } = cover(["b"]);
    c.open("b");
    c.close("b");
    expect(state.guards).toBe(0);
  });

  it("a call delivered twice stays covered until both deliveries are answered; another open call keeps the cover", () => {
    const { c, state } = cover(["b", "d"]);
    c.open("b");
    c.open("b");
    c.open("d");
    expect(c.covers()).toBe(true);
    c.close("b");
    state.live = ["b"]; // d's call was answered: its attempt ended
    c.close("d");
    expect(state.guards).toBe(0);
    expect(c.covers()).toBe(true);
    c.close("b");
    expect(state.guards).toBe(1);
  });
});
