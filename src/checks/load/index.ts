// The `load` category's checks, in run order.
import type { Check } from '../types.js';
import { mixedLoadCheck } from './mixed.js';
import { replayLoadCheck } from './replay.js';

export const loadChecks: Check[] = [mixedLoadCheck, replayLoadCheck];
