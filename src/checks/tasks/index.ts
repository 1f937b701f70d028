// The `tasks` category's checks, in run order.
import type { Check } from '../types.js';
import { bullmqCheck } from './bullmq.js';
import { configCheck } from './config.js';
import { queuesCheck } from './queues.js';
import { runtimeCheck } from './runtime.js';
import { errorsCheck } from './errors.js';
import { roundtripCheck } from './roundtrip.js';
import { throughputCheck } from './throughput.js';
import { workersCheck } from './workers.js';

export const tasksChecks: Check[] = [workersCheck, configCheck, queuesCheck, runtimeCheck, roundtripCheck, throughputCheck, errorsCheck, bullmqCheck];
