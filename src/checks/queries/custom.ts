// queries.custom: the user's own statements from config.queries.custom, each run on read-only sessions, one round trip each.
import type { Config, CustomQuery } from '../../config/schema.js';
import { assertUserSql } from '../user-sql.js';
import { SkipCheck } from '../../util/errors.js';
import type { Check } from '../types.js';
import type { MeasuredQuery } from './measure.js';
import { runQueries } from './run-queries.js';
import { QUERY_METRICS } from './metrics.js';

const limitFor = (q: CustomQuery, config: Config) => (q.complex ? config.thresholds.complex_query_time_ms : config.thresholds.query_time_ms);

export const customQueriesCheck: Check = {
  id: 'queries.custom',
  category: 'queries',
  title: 'Your queries (config.queries.custom)',
  needs: ['pg'],
  metrics: [...QUERY_METRICS],
  writes: false,
  thresholds: (config) => {
    const out: Record<string, string[]> = {};
    for (const q of config.queries.custom) {
      out[`query_duration{query:${q.name}}`] = [`p(95)<${limitFor(q, config)}`];
      out[`query_errors{query:${q.name}}`] = [`rate<${config.thresholds.query_error_rate}`];
    }
    return out;
  },
  async run(ctx) {
    const custom = ctx.config.queries.custom;
    if (custom.length === 0) throw new SkipCheck('no custom queries in config.queries.custom');
    const seen = new Set<string>();
    const queries: MeasuredQuery[] = [];
    custom.forEach((q, i) => {
      if (seen.has(q.name)) {
        ctx.finding({ severity: 'warn', subject: q.name, title: `config.queries.custom[${i}] repeats the name "${q.name}"; only the first is run`, recommendation: 'Give each custom query its own name.' });
        return;
      }
      seen.add(q.name);
      queries.push({
        name: q.name, text: q.sql, statement: `stackprobe_custom_${i}`, isolate: true, writes: false,
        limitMs: limitFor(q, ctx.config), params: () => q.params, fixedParams: true,
      });
    });
    // Judged on the target's catalog (and, under --read-only, the role) once, before the first timed request.
    await assertUserSql(ctx, custom.map((q, i) => ({ sql: q.sql, where: `config.queries.custom[${i}].sql` })));
    await runQueries(ctx, queries, 3, customQueriesCheck.id);
  },
};
