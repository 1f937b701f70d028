// queries.basic: point lookup, insert and short range scan on the workload schema, each under concurrent load.
import { BASIC_QUERIES } from '../../workload/queries.js';
import type { Check } from '../types.js';
import { runQueries } from './run-queries.js';
import { measuredFrom, useWorkload } from './workload.js';
import { QUERY_METRICS } from './metrics.js';

export const basicQueriesCheck: Check = {
  id: 'queries.basic',
  category: 'queries',
  typicalQuickMs: 4000,
  title: 'Basic queries: point lookup, insert, range scan',
  needs: ['pg'],
  metrics: [...QUERY_METRICS],
  writes: true,
  thresholds: (config) => ({
    query_duration: [`p(95)<${config.thresholds.query_time_ms}`],
    query_errors: [`rate<${config.thresholds.query_error_rate}`],
  }),
  async run(ctx) {
    const workload = await useWorkload(ctx);
    const queries = BASIC_QUERIES.map((q) => measuredFrom(q, workload, ctx.config.thresholds.query_time_ms));
    await runQueries(ctx, queries, 1, basicQueriesCheck.id);
  },
};
