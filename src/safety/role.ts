// Least privilege, read from the catalog: what the role user SQL runs as could do beyond reading inside a transaction
// that is rolled back (superuser, replication, predefined roles that signal, write files or data, write privileges on
// tables, CREATE, EXECUTE on dblink, adminpack and the server-side file functions), and the SQL for a role that cannot.
import type { Querier } from './resolve.js';

/**
 * Predefined roles whose members act outside a read-only transaction (absent ones are skipped: they came with later
 * majors). pg_read_all_data and pg_monitor are not here: they read.
 */
const ACTING_ROLES = [
  'pg_write_server_files', 'pg_execute_server_program', 'pg_signal_backend', 'pg_write_all_data', 'pg_checkpoint',
  'pg_create_subscription', 'pg_maintain', 'pg_signal_autovacuum_worker',
];

/** Functions that reach files or other servers whatever the transaction: dblink's and adminpack's (by extension), and these. */
const FILE_FUNCTIONS = ['lo_import', 'lo_export'];

/** One thing the role can do, and the statement that takes it from every role when it comes through PUBLIC. */
export interface Capability {
  what: string;
  /**
   * True when it reaches beyond the transaction (superuser, replication, signals, files, other servers); false for
   * write privileges and CREATE, which a READ ONLY transaction refuses to use.
   */
  acts: boolean;
  /** REVOKE … FROM PUBLIC when the privilege is PUBLIC's (every role has it until it is revoked). */
  revoke: string | null;
}

const CAPABILITIES_SQL = `
WITH me AS (SELECT * FROM pg_roles WHERE rolname = current_user),
writable AS (
  SELECT format('%I.%I', n.nspname, c.relname) AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
     AND (has_any_column_privilege(c.oid, 'INSERT') OR has_any_column_privilege(c.oid, 'UPDATE')
          OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE')))
SELECT 'superuser' AS what, true AS acts, NULL AS revoke FROM me WHERE rolsuper
UNION ALL SELECT 'REPLICATION (streams WAL, creates replication slots)', true, NULL FROM me WHERE rolreplication
UNION ALL SELECT 'BYPASSRLS (reads past row-level security)', true, NULL FROM me WHERE rolbypassrls
UNION ALL SELECT format('member of %s', g.rolname), true, NULL FROM pg_roles g
 WHERE g.rolname <> current_user AND pg_has_role(current_user, g.oid, 'MEMBER')
   AND (g.rolname = ANY ($1::text[]) OR g.rolsuper OR g.rolreplication OR g.rolbypassrls)
UNION ALL SELECT format('INSERT, UPDATE, DELETE or TRUNCATE on %s table(s), e.g. %s', count(*), string_agg(name, ', ' ORDER BY name) FILTER (WHERE rn <= 3)), false, NULL
  FROM (SELECT name, row_number() OVER (ORDER BY name) AS rn FROM writable) w HAVING count(*) > 0
UNION ALL SELECT format('CREATE on database %I', current_database()), false, NULL WHERE has_database_privilege(current_database(), 'CREATE')
UNION ALL SELECT format('CREATE on schema %I', n.nspname), false,
       CASE WHEN EXISTS (SELECT 1 FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a WHERE a.grantee = 0 AND a.privilege_type = 'CREATE')
            THEN format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC;', n.nspname) END
  FROM pg_namespace n
 WHERE has_schema_privilege(n.oid, 'CREATE') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
UNION ALL SELECT format('EXECUTE on %s.%s(%s)', n.nspname, p.proname, oidvectortypes(p.proargtypes)), true, NULL
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'pg_catalog' AND p.proname = ANY ($2::text[]) AND has_function_privilege(p.oid, 'EXECUTE')
UNION ALL SELECT format('EXECUTE on %s function(s) of extension %s, e.g. %s', count(*), e.extname, min(format('%I.%I(%s)', n.nspname, p.proname, oidvectortypes(p.proargtypes)))), true,
       CASE WHEN bool_or(EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'))
            THEN format($do$DO $revoke$ DECLARE f regprocedure; BEGIN FOR f IN SELECT d.objid::regprocedure FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname = %L AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e' LOOP EXECUTE format('REVOKE EXECUTE ON FUNCTION %%s FROM PUBLIC', f); END LOOP; END $revoke$;$do$, e.extname) END
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid
 WHERE e.extname IN ('dblink', 'adminpack') AND has_function_privilege(p.oid, 'EXECUTE')
 GROUP BY e.extname`;

const CONTEXT_SQL = `
SELECT current_user AS role, current_database() AS database, current_setting('server_version_num')::int AS version,
       ARRAY(SELECT quote_ident(nspname) FROM pg_namespace
              WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY nspname) AS schemas`;

export interface RoleReport {
  role: string;
  capabilities: Capability[];
  /** SQL that creates a role with none of them (and revokes what PUBLIC has), for this server's major. */
  leastPrivilegeSql: string;
}

/** The role's capabilities beyond reading, from the catalog of the session `q` runs on. */
export async function roleReport(q: Querier): Promise<RoleReport> {
  const capabilities = await q<Capability>(CAPABILITIES_SQL, [ACTING_ROLES, FILE_FUNCTIONS]);
  const [ctx] = await q<{ role: string; database: string; version: number; schemas: string[] }>(CONTEXT_SQL, []);
  return { role: ctx!.role, capabilities, leastPrivilegeSql: leastPrivilegeSql(ctx!, capabilities) };
}

const READER = 'stackprobe_reader';

/** pg_read_all_data from 14; on 13 the same by hand, schema by schema. pg_monitor for the statistics views. */
export function leastPrivilegeSql(ctx: { database: string; version: number; schemas: string[] }, capabilities: Capability[]): string {
  const db = `"${ctx.database.replaceAll('"', '""')}"`;
  const lines = [`CREATE ROLE ${READER} LOGIN PASSWORD 'choose-a-password';`];
  if (ctx.version >= 140000) lines.push(`GRANT pg_read_all_data, pg_monitor TO ${READER};`);
  else {
    lines.push(`GRANT CONNECT ON DATABASE ${db} TO ${READER};`);
    for (const s of ctx.schemas) lines.push(`GRANT USAGE ON SCHEMA ${s} TO ${READER};`, `GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${READER};`);
    lines.push(`GRANT pg_monitor TO ${READER};`);
  }
  // What every role has through PUBLIC: the new role would have it too until it is revoked — from every role that has it
  // only through PUBLIC, so grant it back to the application roles that use it.
  lines.push(...new Set(capabilities.map((c) => c.revoke).filter((r): r is string => r !== null)));
  return lines.join('\n');
}
