// An example stackprobe plugin: one check that counts the user tables and times the catalog query.
// Load it with `"plugins": ["./examples/plugins/table-count.js"]` in the config (paths are relative to the config file).
import { metric, unit } from 'stackprobe';

// Every metric the check records, declared once: its meaning, unit and direction come from here (docs/plugins.md).
const CATALOG_QUERY = metric.trend({ name: 'catalog_query_duration', meaning: 'duration', unit: unit.ms, description: 'the catalog query counting user tables' });
const USER_TABLES = metric.counter({ name: 'user_tables', meaning: 'size', unit: unit.count('tables'), description: 'user tables in the database' });

/** @type {import('stackprobe').Check} */
export default {
  id: 'example.table_count',
  category: 'example',
  title: 'User tables are countable',
  needs: ['pg'],
  metrics: [CATALOG_QUERY, USER_TABLES],
  // The plugin's own thresholds: the catalog query must be quick, and at least one count must have been taken.
  thresholds: (config) => ({
    catalog_query_duration: [`p(95)<${config.thresholds.query_time_ms}`],
    user_tables: ['count>=0'],
  }),
  async run(ctx) {
    const pg = ctx.targets.pg;
    const t0 = performance.now();
    const res = await pg.admin.query(
      "SELECT count(*)::int AS n FROM pg_stat_user_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    );
    ctx.metrics.trend(CATALOG_QUERY).record(performance.now() - t0);
    const n = res.rows[0].n;
    ctx.metrics.counter(USER_TABLES).add(n);
    if (n === 0) ctx.finding({ severity: 'info', title: 'The database has no user tables', subject: 'catalog' });
  },
};
