/**
 * CPU time and bytes written, per process, read from /proc (Linux): what each
 * request costs each process of a system (workerd, wrangler dev's proxy workerd,
 * the Restate server, its SDK endpoint, the load generator), so a change can be
 * judged by its cost on this noisy machine and not only by its throughput.
 */
import { readdirSync, readFileSync } from "node:fs";

/** A process whose cost is counted, by the role it plays ("workerd", "restate-server"...). */
export interface Tracked {
  readonly role: string;
  readonly pid: number;
}

/** CPU milliseconds and bytes written (to storage) so far, by role. */
export type Usage = Record<string, { cpuMs: number; writeBytes: number }>;

/** The load generator itself (this Node process). */
export const CLIENT_ROLE = "client";

/** Ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** What the processes have used so far; a process that is gone counts as zero. */
export function sampleUsage(processes: readonly Tracked[]): Usage {
  const usage: Usage = {};
  for (const { role, pid } of processes) {
    const own = { cpuMs: cpuMsOf(pid), writeBytes: writeBytesOf(pid) };
    const sum = usage[role];
    usage[role] = sum ? { cpuMs: sum.cpuMs + own.cpuMs, writeBytes: sum.writeBytes + own.writeBytes } : own;
  }
  const cpu = process.cpuUsage();
  usage[CLIENT_ROLE] = { cpuMs: (cpu.user + cpu.system) / 1000, writeBytes: 0 };
  return usage;
}

/** Per call, between two samples: CPU ms by role, and bytes written by all but the client. */
export function usagePerCall(before: Usage, after: Usage, calls: number): { cpuMs: Record<string, number>; writeBytes: number } {
  const cpuMs: Record<string, number> = {};
  let writeBytes = 0;
  for (const [role, end] of Object.entries(after)) {
    const start = before[role] ?? { cpuMs: 0, writeBytes: 0 };
    cpuMs[role] = calls > 0 ? (end.cpuMs - start.cpuMs) / calls : NaN;
    writeBytes += end.writeBytes - start.writeBytes;
  }
  return { cpuMs, writeBytes: calls > 0 ? writeBytes / calls : NaN };
}

function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After the command name (in parentheses, may hold spaces): state is field 3; utime, stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function writeBytesOf(pid: number): number {
  try {
    const match = /^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Pids of `root`'s descendants (not `root` itself) whose command name starts with `name`. */
export function descendantsNamed(root: number, name: string): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // The process ended meanwhile.
    }
  }
  const isBelow = (pid: number) => {
    for (let p = parent.get(pid), depth = 0; p !== undefined && p > 1 && depth < 20; p = parent.get(p), depth++) if (p === root) return true;
    return false;
  };
  return [...parent.keys()].filter((pid) => isBelow(pid) && commandName(pid).startsWith(name));
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}
