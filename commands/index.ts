import type { AnyCommandSpec } from '../src/core/command.js';
import deletePod from './delete-pod.js';
import deployments from './deployments.js';
import describe from './describe.js';
import events from './events.js';
import help from './help.js';
import logs from './logs.js';
import nodes from './nodes.js';
import pods from './pods.js';
import restart from './restart.js';
import rollback from './rollback.js';
import scale from './scale.js';
import status from './status.js';

/** Every chat command, in /help order. */
export const COMMANDS: readonly AnyCommandSpec[] = [help, status, pods, logs, describe, events, deployments, nodes, scale, restart, rollback, deletePod];
