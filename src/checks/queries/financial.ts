// queries.financial: running balances, monthly spending, budget vs actual, portfolio valuation, amortisation, a join report.
import { FINANCIAL_QUERIES } from '../../workload/queries.js';
import type { Check } from '../types.js';
import { runQueries } from './run-queries.js';
import { measuredFrom, useWorkload } from './workload.js';
import { QUERY_METRICS } from './metrics.js';

export const financialQueriesCheck: Check = {
  id: 'queries.financial',
  category: 'queries',
  typicalQuickMs: 7000,
  title: 'Financial calculations: window functions, aggregations, valuations, schedules',
  needs: ['pg'],
  metrics: [...QUERY_METRICS],
  // It reads only, but needs the workload schema, which it creates when queries.basic did not run.
  writes: true,
  thresholds: (config) => ({
    query_duration: [`p(95)<${config.thresholds.complex_query_time_ms}`],
    query_errors: [`rate<${config.thresholds.query_error_rate}`],
  }),
  async run(ctx) {
    const workload = await useWorkload(ctx);
    const queries = FINANCIAL_QUERIES.map((q) => measuredFrom(q, workload, ctx.config.thresholds.complex_query_time_ms));
    await runQueries(ctx, queries, 2, financialQueriesCheck.id);
  },
};
