// The `load` category's checks, in run order.
import type { Check } from '../types.js';
import { mixedLoadCheck } from './mixed.js';

export const loadChecks: Check[] = [mixedLoadCheck];
