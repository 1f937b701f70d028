// The financial workload's public surface: set it up, drop it, and the query mix other categories (load) can reuse.
export { BASIC_QUERIES, FINANCIAL_QUERIES, type WorkloadQuery } from './queries.js';
export { createRng, type Rng } from './prng.js';
export { dropWorkload, MARKER, setupWorkload } from './setup.js';
export { quoteIdent, qualified, SCHEMA } from './sql.js';
export type { Workload, WorkloadOptions } from './types.js';
