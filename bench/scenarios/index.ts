/**
 * Every workload the runner knows. Add one by writing a `Workload` (see
 * harness/types.ts and w3.ts) and listing it here.
 */
import type { Target, Workload } from "../harness/types.js";
import { w3 } from "./w3.js";

export const WORKLOADS: readonly Workload<Target>[] = [w3];
