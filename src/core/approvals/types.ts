import type { Button, Card } from '../../../cards/model.js';
import type { StepOutcome } from '../runbooks/engine.js';
import type { PlatformId, Risk } from '../../config/policy.js';
import type { Preview } from '../command.js';
import type { Lang } from '../i18n.js';

export type ApprovalState = 'pending' | 'executing' | 'succeeded' | 'failed' | 'rejected' | 'expired' | 'cancelled';

/** Who did something, as the policy knows them and as the platform identified them. */
export interface ActorRef {
  personId: string;
  name: string;
  platform: PlatformId;
  userId: string;
}

export interface ApprovalStep {
  role: string;
  timeoutMs: number;
  /** When this step began waiting (its deadline is startedAt + timeoutMs). */
  startedAt?: number;
  decidedBy?: ActorRef;
  decidedAt?: number;
}

export interface Approval {
  /** Short and typeable, e.g. K7QF. */
  id: string;
  command: string;
  /** Frozen at request time, already validated; execution uses exactly these. */
  args: Record<string, unknown>;
  preview: Preview;
  risk: Risk;
  requester: ActorRef;
  chatId: string;
  steps: ApprovalStep[];
  /** Index of the step waiting for a decision. */
  step: number;
  state: ApprovalState;
  /** Every transition is a compare-and-set on this. */
  version: number;
  createdAt: number;
  updatedAt: number;
  /** Deadline of the current step; nothing executes after it. */
  expiresAt: number;
  /** Set when a policy rule approved it without a human. */
  autoApprovedBy?: string;
  /** Who rejected or cancelled, and why. */
  closedBy?: ActorRef;
  reason?: string;
  executedAt?: number;
  /**
   * While executing: which process runs it, and until when that is known (renewed while it runs).
   * Recovery closes an executing approval only once its lease has lapsed — another replica's running
   * change is left alone.
   */
  lease?: { owner: string; until: number };
  /** A change of several steps (preview.steps): how each went, as it runs. */
  progress?: (StepOutcome | null)[];
  /** `buttons`: what the result offers next (a failed runbook's Roll back request). */
  result?: { ok: boolean; summary: string; card?: Card; buttons?: Button[] };
  /** The language of the requester's reply, which every copy of the card is shown in (absent in older records: the policy's). */
  lang?: Lang;
}
