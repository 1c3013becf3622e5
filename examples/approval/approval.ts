/**
 * A document approval: a workflow that asks each approver in turn, waits for
 * their decision, and stops at the first rejection.
 *
 * `approval/<id>/run({ document, approvers })` mails the first approver
 * (a `ctx.run` step, so a restart never mails twice), then waits on the
 * durable promise `decision-<approver>`. The approver answers through the
 * shared handler `decide({ approver, approve, comment })`, which runs beside
 * the waiting workflow and resolves that promise. Then the next approver is
 * asked, and so on. A rejection ends the workflow at once: later approvers are
 * never asked.
 *
 * The workflow records its progress in state after every step; the shared
 * handler `progress()` reads it while the workflow runs (a query).
 *
 *   curl -X POST 127.0.0.1:8787/approval/doc-1/run/send --json '{"document":"budget-2026.pdf","approvers":["ana","ben"]}'
 *   curl -X POST 127.0.0.1:8787/approval/doc-1/progress
 *   curl -X POST 127.0.0.1:8787/approval/doc-1/decide --json '{"approver":"ana","approve":true}'
 *   curl 127.0.0.1:8787/restate/workflow/approval/doc-1/attach
 *
 * Approvers are notified by mail through `MAILER_URL`, the same mailer as the
 * signup example (examples/signup/mailer.ts).
 */
import { TerminalError, workflow } from "resolute";
import type { WorkflowContext, WorkflowSharedContext } from "resolute";
import { mailerUrl, sendMail, type Mail } from "../signup/mailer.js";

export interface ApprovalRequest {
  document: string;
  /** Asked in this order. */
  approvers: string[];
}

/** The body of `decide`. */
export interface DecisionInput {
  approver: string;
  approve: boolean;
  comment?: string;
}

export interface Decision {
  approver: string;
  approve: boolean;
  comment?: string;
  decidedAt: string;
}

/** What `progress` returns; also kept in state under `progress`. */
export interface Progress {
  document: string;
  approvers: string[];
  status: "waiting" | "approved" | "rejected";
  /** The approver being asked (1-based), or the last one asked once finished. */
  step: number;
  of: number;
  waitingFor: string | null;
  decisions: Decision[];
}

/** What `run` returns. */
export interface ApprovalResult {
  document: string;
  outcome: "approved" | "rejected";
  decisions: Decision[];
}

interface ApprovalState {
  progress: Progress;
}

/** The durable promise an approver's decision resolves. */
export const decisionPromise = (approver: string) => `decision-${approver}`;

type Answer = Omit<Decision, "approver">;

function checkRequest(request: ApprovalRequest): ApprovalRequest {
  if (typeof request?.document !== "string" || request.document === "") {
    throw new TerminalError("document must be a non-empty string", { errorCode: 400 });
  }
  const { approvers } = request;
  if (!Array.isArray(approvers) || approvers.length === 0 || !approvers.every((a) => typeof a === "string" && a !== "")) {
    throw new TerminalError("approvers must be a non-empty list of names", { errorCode: 400 });
  }
  if (new Set(approvers).size !== approvers.length) throw new TerminalError("each approver may appear only once", { errorCode: 400 });
  return { document: request.document, approvers };
}

function checkDecision(input: DecisionInput): DecisionInput {
  if (typeof input?.approver !== "string" || typeof input.approve !== "boolean") {
    throw new TerminalError('expected { "approver": string, "approve": boolean, "comment"?: string }', { errorCode: 400 });
  }
  if (input.comment !== undefined && typeof input.comment !== "string") throw new TerminalError("comment must be a string", { errorCode: 400 });
  return { approver: input.approver, approve: input.approve, ...(input.comment !== undefined ? { comment: input.comment } : {}) };
}

function askMail(id: string, document: string, approver: string, step: number, of: number): Mail {
  return {
    to: approver,
    subject: `Approval needed: ${document}`,
    text: `Please approve or reject '${document}' (approval ${step} of ${of}).\nTo reject, send "approve": false and a "comment" saying why.`,
    action: { method: "POST", path: `/approval/${encodeURIComponent(id)}/decide`, body: { approver, approve: true } },
  };
}

/** Why `approver` cannot decide now: 403 for strangers, 409 when it is not their turn. */
function refuseOutOfTurn(id: string, progress: Progress, approver: string): TerminalError {
  if (!progress.approvers.includes(approver)) {
    return new TerminalError(`'${approver}' is not an approver of '${progress.document}'`, { errorCode: 403 });
  }
  if (progress.decisions.some((d) => d.approver === approver)) {
    return new TerminalError(`'${approver}' already decided on '${progress.document}'`, { errorCode: 409 });
  }
  if (progress.status !== "waiting") {
    return new TerminalError(`approval '${id}' is already ${progress.status}: no decision from '${approver}' is needed`, { errorCode: 409 });
  }
  return new TerminalError(`'${approver}' cannot decide yet: approval '${id}' is waiting for '${progress.waitingFor}'`, { errorCode: 409 });
}

export const approval = workflow({
  name: "approval",
  handlers: {
    run: async (ctx: WorkflowContext<ApprovalState>, request: ApprovalRequest): Promise<ApprovalResult> => {
      const { document, approvers } = checkRequest(request);
      const mailer = mailerUrl(ctx);
      const of = approvers.length;
      const decisions: Decision[] = [];
      const record = ({ status, step, waitingFor }: Pick<Progress, "status" | "step" | "waitingFor">) =>
        ctx.set("progress", { document, status, step, of, waitingFor, approvers, decisions: [...decisions] });

      for (const [index, approver] of approvers.entries()) {
        const step = index + 1;
        record({ status: "waiting", step, waitingFor: approver });
        await ctx.run(`notify ${approver}`, () => sendMail(mailer, askMail(ctx.key, document, approver, step, of), `approval-${ctx.key}-${approver}`));
        const answer = await ctx.promise<Answer>(decisionPromise(approver));
        decisions.push({ approver, ...answer });
        if (!answer.approve) break;
      }

      const outcome = decisions.every((d) => d.approve) ? "approved" : "rejected";
      record({ status: outcome, step: decisions.length, waitingFor: null });
      return { document, outcome, decisions };
    },

    /** An approver's answer; only the approver being asked may answer. */
    decide: async (ctx: WorkflowSharedContext<ApprovalState>, input: DecisionInput): Promise<Decision> => {
      const { approver, approve, comment } = checkDecision(input);
      const progress = await ctx.get<Progress>("progress");
      if (!progress) throw new TerminalError(`no approval '${ctx.key}' is running`, { errorCode: 404 });
      if (progress.waitingFor !== approver) throw refuseOutOfTurn(ctx.key, progress, approver);
      const answer: Answer = { approve, ...(comment ? { comment } : {}), decidedAt: new Date(await ctx.date.now()).toISOString() };
      // A duplicate racing this one loses here with a 409: a promise completes once.
      await ctx.promise<Answer>(decisionPromise(approver)).resolve(answer);
      return { approver, ...answer };
    },

    /** Where the approval is: null before `run` started. */
    progress: async (ctx: WorkflowSharedContext<ApprovalState>): Promise<Progress | null> => ctx.get<Progress>("progress"),
  },
});

export const approvalServices = [approval];
