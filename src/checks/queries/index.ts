// The queries category: basic OLTP statements and financial calculations on the workload schema, and the user's own SQL.
import type { Check } from '../types.js';
import { basicQueriesCheck } from './basic.js';
import { customQueriesCheck } from './custom.js';
import { financialQueriesCheck } from './financial.js';

export { basicQueriesCheck, customQueriesCheck, financialQueriesCheck };
export { explainAdvice, type AdviceInput, type TableInfo } from './explain-advice.js';

/** In run order: basic creates the workload schema, financial reuses it, custom needs none. */
export const queriesChecks: Check[] = [basicQueriesCheck, financialQueriesCheck, customQueriesCheck];
