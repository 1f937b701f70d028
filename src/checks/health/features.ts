// The one place that knows which PostgreSQL major brought which view or option the health checks read, by
// server_version_num; each check asks for the feature by name instead of comparing versions itself.

/** pg_stat_checkpointer (17+); before it the checkpoint counters lived in pg_stat_bgwriter. */
export const hasCheckpointerView = (versionNum: number): boolean => versionNum >= 170000;

/** pg_stat_wal (14+): WAL volume and how often the WAL buffers were full. */
export const hasWalStatsView = (versionNum: number): boolean => versionNum >= 140000;

/** pg_stat_io (16+): who writes and reads which buffers. */
export const hasIoStatsView = (versionNum: number): boolean => versionNum >= 160000;

/** EXPLAIN (GENERIC_PLAN) (16+): the plan of a statement with $n parameters, without values. */
export const hasGenericPlan = (versionNum: number): boolean => versionNum >= 160000;

/** plan_cache_mode (12+): forces the generic plan of a prepared statement. */
export const hasPlanCacheMode = (versionNum: number): boolean => versionNum >= 120000;

/** The major of a server_version_num, for "needs PostgreSQL N; this is M" reasons. */
export const majorOf = (versionNum: number): number => Math.floor(versionNum / 10000);
