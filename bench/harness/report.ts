/**
 * Turns measurements into markdown tables (Resolute, its baseline and the peer
 * per serving mode, ratios per round; then what each call cost each process)
 * and the results file.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Measurement, Scenario, Workload } from "./types.js";

/** What one target did in one scenario: a measurement, or why there is none. */
export type Outcome = { ok: true; measurement: Measurement } | { ok: false; error: string };

/**
 * One system served one way: "resolute@wrangler", "floor@miniflare", or a peer
 * on its own server ("restate").
 */
export interface Leg {
  readonly id: string;
  readonly system: string;
  /** "wrangler" or "miniflare"; a peer's name for a peer. */
  readonly mode: string;
  readonly peer: boolean;
}

/** A ratio of two legs: the median of the rounds' own ratios, and those. */
export interface Ratio {
  median: number;
  rounds: number[];
}

export interface ModeRatios {
  mode: string;
  /** Resolute ÷ its baseline served the same way. */
  baseline?: Ratio;
  /** Resolute served this way ÷ the peer. */
  peer?: Ratio;
  goalMet?: boolean;
}

export interface ScenarioReport {
  workload: string;
  scenario: string;
  title: string;
  unit: string;
  better: "lower" | "higher";
  goalRatio?: number;
  subject: string;
  baseline: string;
  peer?: string;
  modes: string[];
  /** The median outcome by leg id. */
  outcomes: Record<string, Outcome>;
  ratios: ModeRatios[];
}

export const legId = (system: string, mode: string, peer: boolean) => (peer ? system : `${system}@${mode}`);

/**
 * `rounds[i]` holds round i's outcome by leg id. Ratios are taken per round (both
 * legs measured minutes apart on the same machine) and then medianed, which cancels
 * a slow round better than the ratio of two medians does.
 */
export function scenarioReport(workload: Workload, scenario: Scenario, modes: readonly string[], peer: string | undefined, rounds: readonly Record<string, Outcome>[]): ScenarioReport {
  const ids = [...new Set(rounds.flatMap((r) => Object.keys(r)))];
  const outcomes = Object.fromEntries(ids.map((id) => [id, medianOutcome(rounds.flatMap((r) => (r[id] ? [r[id]!] : [])))]));
  const ratios = modes.map((mode): ModeRatios => {
    const subject = legId(workload.subject.system, mode, false);
    const baseline = ratioOf(rounds, subject, legId(workload.baseline.system, mode, false));
    const peerRatio = peer ? ratioOf(rounds, subject, legId(peer, mode, true)) : undefined;
    const goalMet = baseline && scenario.goalRatio !== undefined ? (scenario.better === "lower" ? baseline.median <= scenario.goalRatio : baseline.median >= scenario.goalRatio) : undefined;
    return { mode, ...(baseline ? { baseline } : {}), ...(peerRatio ? { peer: peerRatio } : {}), ...(goalMet === undefined ? {} : { goalMet }) };
  });
  return {
    workload: workload.id,
    scenario: scenario.id,
    title: scenario.title,
    unit: scenario.unit,
    better: scenario.better,
    ...(scenario.goalRatio === undefined ? {} : { goalRatio: scenario.goalRatio }),
    subject: workload.subject.system,
    baseline: workload.baseline.system,
    ...(peer ? { peer } : {}),
    modes: [...modes],
    outcomes,
    ratios,
  };
}

function ratioOf(rounds: readonly Record<string, Outcome>[], top: string, bottom: string): Ratio | undefined {
  const values: number[] = [];
  for (const round of rounds) {
    const a = round[top];
    const b = round[bottom];
    if (a?.ok && b?.ok && b.measurement.value > 0) values.push(a.measurement.value / b.measurement.value);
  }
  return values.length === 0 ? undefined : { median: median(values), rounds: values.map((v) => Number(v.toFixed(3))) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor((sorted.length - 1) / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid]! + sorted[mid + 1]!) / 2;
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
  const usage = medianUsage(all);
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
      ...(usage ? { usage } : {}),
    },
  };
}

/** Each role's median CPU per call, and the median bytes written per call. */
function medianUsage(all: readonly Measurement[]): Measurement["usage"] {
  const measured = all.flatMap((m) => (m.usage ? [m.usage] : []));
  if (measured.length === 0) return undefined;
  const roles = [...new Set(measured.flatMap((u) => Object.keys(u.cpuMs)))];
  return {
    cpuMs: Object.fromEntries(roles.map((r) => [r, median(measured.map((u) => u.cpuMs[r] ?? 0))])),
    writeBytes: median(measured.map((u) => u.writeBytes)),
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * One row per scenario and serving mode: Resolute, its baseline (named: the floor,
 * Cloudflare Workflows, Resolute without duplicates...), the ratio and its goal, and
 * the peer when one ran.
 */
export function renderMarkdown(reports: readonly ScenarioReport[]): string {
  const withPeer = reports.some((r) => r.peer);
  const lines = [
    `| Scenario | Served by | Resolute | Baseline | Resolute ÷ baseline (rounds) | Goal | Met |${withPeer ? " Peer | Resolute ÷ peer (rounds) |" : ""}`,
    `|---|---|---|---|---|---|---|${withPeer ? "---|---|" : ""}`,
  ];
  for (const r of reports) {
    const goal = r.goalRatio === undefined ? "—" : `${r.better === "lower" ? "≤" : "≥"} ${r.goalRatio}×`;
    for (const m of r.ratios) {
      const met = m.goalMet === undefined ? "—" : m.goalMet ? "yes" : "**no**";
      const baseline = `${r.baseline}: ${cell(r.outcomes[legId(r.baseline, m.mode, false)], r.unit)}`;
      const peer = r.peer ? ` ${r.peer}: ${cell(r.outcomes[legId(r.peer, m.mode, true)], r.unit)} | ${ratioCell(m.peer)} |` : withPeer ? " — | — |" : "";
      lines.push(`| ${r.title} | ${m.mode} | ${cell(r.outcomes[legId(r.subject, m.mode, false)], r.unit)} | ${baseline} | ${ratioCell(m.baseline)} | ${goal} | ${met} |${peer}`);
    }
  }
  return lines.join("\n");
}

/** What each call cost: CPU by process and bytes written, one row per scenario and leg. */
export function renderCosts(reports: readonly ScenarioReport[]): string {
  const lines = ["| Scenario | System | CPU ms per call, by process | KB written per call |", "|---|---|---|---|"];
  for (const r of reports) {
    for (const [id, outcome] of Object.entries(r.outcomes)) {
      const usage = outcome.ok ? outcome.measurement.usage : undefined;
      if (!usage) continue;
      const server = Object.entries(usage.cpuMs).filter(([role]) => role !== "client");
      const total = sum(server.map(([, ms]) => ms));
      const parts = [...server, ...Object.entries(usage.cpuMs).filter(([role]) => role === "client")].map(([role, ms]) => `${role} ${ms.toFixed(2)}`);
      lines.push(`| ${r.scenario} | ${id} | **${total.toFixed(2)}** (${parts.join(", ")}) | ${(usage.writeBytes / 1024).toFixed(1)} |`);
    }
  }
  return lines.length > 2 ? lines.join("\n") : "";
}

function ratioCell(ratio: Ratio | undefined): string {
  if (!ratio) return "—";
  return `${ratio.median.toFixed(2)}×${ratio.rounds.length > 1 ? ` (${ratio.rounds.map((v) => v.toFixed(2)).join(", ")})` : ""}`;
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
