/**
 * The chaos run's table: what was done (crashes, requests, retries, effects) and
 * every violation by kind, with a few examples each.
 */
import { percentile } from "../../bench/harness/load.js";
import { VIOLATION_KINDS, type Verdict } from "./check.js";
import type { ClientStats } from "./client.js";
import { OP_KINDS, isAcknowledged, type Op } from "./ops.js";

export interface RunSummary {
  crashes: number;
  ops: readonly Op[];
  stats: ClientStats;
  /** Executions recorded, repeats included, and distinct steps. */
  effects: { total: number; distinct: number };
  verdict: Verdict;
  drained: boolean;
  elapsedMs: number;
  /** The most limited steps seen at once per limit key, and the limit (issue 15). */
  limited?: { limit: number; maxInFlight: ReadonlyMap<string, number> };
}

const EXAMPLES = 5;

export function renderReport(summary: RunSummary): string {
  const { ops, stats, verdict } = summary;
  const requests = sum(ops.map((op) => op.requests));
  const acknowledged = sum(ops.map((op) => op.acknowledged));
  const lines = [
    "| crashes | requests | acknowledged | retries | effects | duplicates across crashes | violations |",
    "|---|---|---|---|---|---|---|",
    `| ${summary.crashes} | ${n(requests)} | ${n(acknowledged)} | ${n(stats.retries)} | ${n(summary.effects.total)} (${n(summary.effects.distinct)} steps) | ${n(verdict.duplicatesAcrossCrashes)} | ${n(verdict.violations.length)} |`,
    "",
    "| operation | operations | acknowledged | seconds to answer: median, max |",
    "|---|---|---|---|",
    ...OP_KINDS.map((kind) => {
      const ofKind = ops.filter((op) => op.kind === kind);
      const seconds = ofKind.filter(isAcknowledged).map((op) => (op.endedAt - op.startedAt) / 1000);
      const latency = seconds.length === 0 ? "—" : `${percentile(seconds, 50).toFixed(1)}, ${Math.max(...seconds).toFixed(1)}`;
      return `| ${kind} | ${n(ofKind.length)} | ${n(ofKind.filter(isAcknowledged).length)} | ${latency} |`;
    }),
    "",
    `HTTP: ${n(stats.attempts)} attempts, ${n(stats.networkErrors)} network errors, ${n(stats.proxyDrops)} dropped by wrangler dev's proxy; ${summary.drained ? "drained" : "NOT drained in time"}; ${(summary.elapsedMs / 1000).toFixed(0)} s`,
  ];
  if (summary.limited) {
    const seen = [...summary.limited.maxInFlight].map(([key, max]) => `${key === "" ? "(no key)" : key} ${max}`).join(", ");
    lines.push(`limited service (concurrency ${summary.limited.limit} per limit key): most running at once ${seen || "(none ran)"}`);
  }
  const serverErrors = Object.entries(stats.serverErrors);
  if (serverErrors.length > 0) {
    lines.push("5xx answers (retried):", ...serverErrors.map(([kind, count]) => `  ${count} × ${kind}`));
  }
  lines.push("", ...renderViolations(verdict));
  return lines.join("\n");
}

function renderViolations(verdict: Verdict): string[] {
  if (verdict.violations.length === 0) return ["violations: none"];
  const lines = ["| violation | count |", "|---|---|"];
  const examples: string[] = [];
  for (const kind of VIOLATION_KINDS) {
    const ofKind = verdict.violations.filter((v) => v.kind === kind);
    if (ofKind.length === 0) continue;
    lines.push(`| ${kind} | ${n(ofKind.length)} |`);
    examples.push(`${kind}:`, ...ofKind.slice(0, EXAMPLES).map((v) => `  ${v.detail}`));
    if (ofKind.length > EXAMPLES) examples.push(`  ... and ${ofKind.length - EXAMPLES} more`);
  }
  const note = "(one fault can show under several kinds: a lost sleep is sleep-not-woken and stuck, and unanswered when it was a call)";
  return [...lines, note, "", ...examples];
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function n(value: number): string {
  return value.toLocaleString("en");
}
