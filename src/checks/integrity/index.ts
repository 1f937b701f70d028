// The `integrity` category's checks, in run order.
import type { Check } from '../types.js';

export const integrityChecks: Check[] = [];
