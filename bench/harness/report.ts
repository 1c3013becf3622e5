/**
 * Turns measurements into a markdown table (subject, baseline, ratio, goal) and
 * the results file.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Measurement, Scenario, Workload } from "./types.js";

/** What one target did in one scenario: a measurement, or why there is none. */
export type Outcome = { ok: true; measurement: Measurement } | { ok: false; error: string };

export interface ScenarioReport {
  workload: string;
  scenario: string;
  title: string;
  unit: string;
  better: "lower" | "higher";
  goalRatio?: number;
  /** Outcome by system name. */
  outcomes: Record<string, Outcome>;
  subject: string;
  baseline: string;
  /** subject ÷ baseline, when both were measured. */
  ratio?: number;
  goalMet?: boolean;
}

export function scenarioReport(workload: Workload, scenario: Scenario, outcomes: Record<string, Outcome>): ScenarioReport {
  const subject = outcomes[workload.subject.system];
  const baseline = outcomes[workload.baseline.system];
  const report: ScenarioReport = {
    workload: workload.id,
    scenario: scenario.id,
    title: scenario.title,
    unit: scenario.unit,
    better: scenario.better,
    ...(scenario.goalRatio === undefined ? {} : { goalRatio: scenario.goalRatio }),
    outcomes,
    subject: workload.subject.system,
    baseline: workload.baseline.system,
  };
  if (subject?.ok && baseline?.ok && baseline.measurement.value > 0) {
    report.ratio = subject.measurement.value / baseline.measurement.value;
    if (scenario.goalRatio !== undefined) {
      report.goalMet = scenario.better === "lower" ? report.ratio <= scenario.goalRatio : report.ratio >= scenario.goalRatio;
    }
  }
  return report;
}

/**
 * One outcome from several rounds: the median value, everything else summed or
 * kept; a round that failed fails the whole (loudly, not averaged away).
 */
export function medianOutcome(rounds: readonly Outcome[]): Outcome {
  const failed = rounds.filter((r) => !r.ok);
  if (failed.length > 0) {
    const first = failed[0] as Extract<Outcome, { ok: false }>;
    return { ok: false, error: rounds.length > 1 ? `${failed.length} of ${rounds.length} rounds failed: ${first.error}` : first.error };
  }
  const all = rounds.map((r) => (r as Extract<Outcome, { ok: true }>).measurement).sort((a, b) => a.value - b.value);
  if (all.length === 1) return { ok: true, measurement: all[0]! };
  const mid = Math.floor((all.length - 1) / 2);
  const value = all.length % 2 === 1 ? all[mid]!.value : (all[mid]!.value + all[mid + 1]!.value) / 2;
  const errorKinds: Record<string, number> = {};
  for (const m of all) for (const [k, n] of Object.entries(m.errorKinds)) errorKinds[k] = (errorKinds[k] ?? 0) + n;
  return {
    ok: true,
    measurement: {
      value,
      note: `median of ${all.length}; ${all[mid]!.note}`,
      details: { ...all[mid]!.details, rounds: all.map((m) => Number(m.value.toFixed(3))).join(", ") },
      errors: sum(all.map((m) => m.errors)),
      errorKinds,
      proxyDrops: sum(all.map((m) => m.proxyDrops)),
      problems: all.flatMap((m) => m.problems),
    },
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * One row per scenario: Resolute, its baseline (named: the floor, Cloudflare
 * Workflows, Resolute without duplicates...), the ratio and its goal.
 */
export function renderMarkdown(reports: readonly ScenarioReport[]): string {
  const lines = [
    "| Scenario | Resolute | Baseline | Resolute ÷ baseline | Goal | Met |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of reports) {
    const goal = r.goalRatio === undefined ? "—" : `${r.better === "lower" ? "≤" : "≥"} ${r.goalRatio}×`;
    const ratio = r.ratio === undefined ? "—" : `${r.ratio.toFixed(2)}×`;
    const met = r.goalMet === undefined ? "—" : r.goalMet ? "yes" : "**no**";
    const baseline = `${r.baseline}: ${cell(r.outcomes[r.baseline], r.unit)}`;
    lines.push(`| ${r.title} | ${cell(r.outcomes[r.subject], r.unit)} | ${baseline} | ${ratio} | ${goal} | ${met} |`);
  }
  return lines.join("\n");
}

function cell(outcome: Outcome | undefined, unit: string): string {
  if (!outcome) return "not run";
  if (!outcome.ok) return "**failed**";
  const m = outcome.measurement;
  const value = unit === "ms" ? m.value.toFixed(2) : Math.round(m.value).toLocaleString("en");
  const flags = [
    m.note,
    m.errors > 0 ? `**${m.errors} errors**` : "",
    m.proxyDrops > 0 ? `${m.proxyDrops} dropped by the dev proxy` : "",
    m.problems.length > 0 ? "**WRONG**" : "",
  ];
  return `${value} ${unit} (${flags.filter(Boolean).join(", ")})`;
}

/** Calls wrangler dev's proxy dropped, one line per scenario and system (not failures of the system). */
export function listProxyDrops(reports: readonly ScenarioReport[]): string[] {
  const lines: string[] = [];
  for (const r of reports) {
    for (const [system, outcome] of Object.entries(r.outcomes)) {
      if (outcome.ok && outcome.measurement.proxyDrops > 0) {
        lines.push(`${r.scenario} / ${system}: ${outcome.measurement.proxyDrops} calls dropped by wrangler dev's proxy`);
      }
    }
  }
  return lines;
}

/** Every failure, error and wrong answer, one line each; empty when all went well. */
export function listProblems(reports: readonly ScenarioReport[]): string[] {
  const lines: string[] = [];
  for (const r of reports) {
    for (const [system, outcome] of Object.entries(r.outcomes)) {
      const where = `${r.scenario} / ${system}`;
      if (!outcome.ok) {
        lines.push(`${where}: failed: ${outcome.error}`);
        continue;
      }
      const m = outcome.measurement;
      if (m.errors > 0) lines.push(`${where}: ${m.errors} errors: ${JSON.stringify(m.errorKinds)}`);
      const shown = m.problems.slice(0, 10);
      for (const p of shown) lines.push(`${where}: WRONG: ${p}`);
      if (m.problems.length > shown.length) lines.push(`${where}: WRONG: ... and ${m.problems.length - shown.length} more`);
    }
  }
  return lines;
}

export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}
