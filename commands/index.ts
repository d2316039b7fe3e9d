import type { AnyCommandSpec } from '../src/core/command.js';
import alerts from './alerts.js';
import approvals from './approvals.js';
import approve from './approve.js';
import audit from './audit.js';
import cancel from './cancel.js';
import clusters from './clusters.js';
import deletePod from './delete-pod.js';
import deployments from './deployments.js';
import describe from './describe.js';
import events from './events.js';
import help from './help.js';
import investigate from './investigate.js';
import logs from './logs.js';
import nodes from './nodes.js';
import oncall from './oncall.js';
import notifyTest from './notify-test.js';
import reject from './reject.js';
import reset from './reset.js';
import report from './report.js';
import postmortem from './postmortem.js';
import query from './query.js';
import top from './top.js';
import pods from './pods.js';
import restart from './restart.js';
import { cordon, uncordon } from './cordon.js';
import drain from './drain.js';
import runbook from './runbook.js';
import runbookRun from './runbook-run.js';
import rollback from './rollback.js';
import scale from './scale.js';
import silence from './silence.js';
import silences from './silences.js';
import unsilence from './unsilence.js';
import status from './status.js';

/** Every chat command, in /help order. */
export const COMMANDS: readonly AnyCommandSpec[] = [
  help, status, pods, logs, describe, events, deployments, nodes, clusters, investigate,
  alerts, oncall, silences, report, postmortem, query, top,
  runbook, scale, restart, rollback, deletePod, cordon, uncordon, drain, runbookRun, silence, unsilence,
  approvals, approve, reject, cancel, audit, notifyTest, reset,
];
