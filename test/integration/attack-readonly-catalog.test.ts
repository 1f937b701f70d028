// Attacks on "user SQL only reads", against a private PostgreSQL 15 with dblink and adminpack installed (cluster-wide
// effects — slots, pg_reload_conf, pg_stat_reset, WAL — never reach the shared server): every attack of issue 27 in
// every spelling the server accepts (plain, U&"…" escapes with a schema, quoted, the tokenizer's blind spot, inside a
// string, through a view, a SQL function, an operator and a cast), through the read guard and through the product
// (invariants, custom queries, load.replay statements planted by a low-privilege role), with before/after evidence;
// then least privilege: a superuser is refused with the SQL for a role that cannot, that role passes, the opt-in is loud.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invariantsCheck } from '../../src/checks/integrity/invariants.js';
import { replayLoadCheck } from '../../src/checks/load/replay.js';
import { customQueriesCheck } from '../../src/checks/queries/custom.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { waitFor } from '../../src/exec/timeout.js';
import type { CheckResult } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { ReadGuard } from '../../src/safety/guard.js';
import { silentLogger } from '../../src/util/logger.js';
import { runCli, runDirOf } from '../helpers/cli.js';
import { startPrivateServer, type PrivateServer } from '../helpers/health-server.js';

const DB = 'app';
let server: PrivateServer;
let tmp: string;
let exported: string;
const clients: pg.Client[] = [];
let victim: pg.Client;
let lateVictim: pg.Client;
const notifications: string[] = [];

interface Attack { schema: string; name: string; args: string }
const attacks = (): Attack[] => [
  { schema: 'public', name: 'dblink_exec', args: `'host=127.0.0.1 port=${server.port} dbname=${DB} user=postgres', 'INSERT INTO ledger VALUES (-1, 0)'` },
  { schema: 'pg_catalog', name: 'pg_terminate_backend', args: `(SELECT pid FROM pg_stat_activity WHERE application_name = 'victim')` },
  { schema: 'pg_catalog', name: 'pg_notify', args: `'attack', 'escaped'` },
  { schema: 'pg_catalog', name: 'pg_create_physical_replication_slot', args: `'attack_slot'` },
  { schema: 'pg_catalog', name: 'lo_export', args: `(SELECT min(oid) FROM pg_largeobject_metadata), '${exported}'` },
  { schema: 'pg_catalog', name: 'pg_file_write', args: `'stackprobe-attack.txt', 'escaped', false` },
  { schema: 'pg_catalog', name: 'pg_switch_wal', args: '' },
  { schema: 'pg_catalog', name: 'pg_reload_conf', args: '' },
  { schema: 'pg_catalog', name: 'pg_logical_emit_message', args: `false, 'attack', repeat('x', 2000000)` },
  { schema: 'pg_catalog', name: 'pg_stat_reset', args: '' },
  { schema: 'pg_catalog', name: 'pg_advisory_lock_shared', args: '42' },
];

/** U&"…" with every underscore escaped: a name no text filter compares with the one it denies. */
const escaped = (name: string) => `U&"${name.replaceAll('_', '\\005f')}"`;
const call = (a: Attack) => `${a.schema}.${a.name}(${a.args})`;

/** Every spelling of one attack, with the function the refusal must name. */
function spellings(a: Attack, i: number): Array<{ how: string; sql: string; names: string }> {
  const fn = `${a.schema}.${a.name}(`;
  return [
    { how: 'plain', sql: `SELECT ${a.name}(${a.args}) AS r`, names: fn },
    { how: 'U& escaped, schema-qualified', sql: `SELECT ${a.schema}.${escaped(a.name)}(${a.args}) AS r`, names: fn },
    { how: 'quoted', sql: `SELECT "${a.name}"(${a.args}) AS r`, names: fn },
    { how: 'after name\'\\\'', sql: `SELECT name'\\' AS a, ${call(a)} AS b, ' --\n' AS c -- '`, names: fn },
    { how: 'inside a string', sql: `SELECT query_to_xml('SELECT ${call(a).replaceAll("'", "''")}', true, true, '')`, names: 'pg_catalog.query_to_xml(' },
    { how: 'through a view', sql: `SELECT * FROM attack_view_${i}`, names: fn },
    { how: 'in a STABLE SQL function', sql: `SELECT attack_fn_${i}()`, names: fn },
    { how: 'through an operator', sql: `SELECT 1 ${operator(i)} 2`, names: fn },
    { how: 'through a cast', sql: `SELECT 1::attack_t_${i}`, names: fn },
  ];
}
const operator = (i: number) => `@#${'~'.repeat(i + 1)}`;

/** What the attacks would change, read from the server. */
async function evidence() {
  const [e] = await server.sql<Record<string, string | number>>(`
    SELECT (SELECT count(*) FROM ledger)::int AS rows, (SELECT count(*) FROM planter.log)::int AS planter_rows,
           pg_current_wal_lsn()::text AS lsn, pg_walfile_name(pg_current_wal_lsn()) AS walfile,
           (SELECT count(*) FROM pg_replication_slots)::int AS slots,
           coalesce((SELECT stats_reset FROM pg_stat_database WHERE datname = current_database())::text, 'never') AS stats_reset,
           pg_conf_load_time()::text AS conf_loaded,
           (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory')::int AS advisory`, [], DB);
  return e!;
}

async function expectNoEffect(before: Awaited<ReturnType<typeof evidence>>): Promise<void> {
  const after = await evidence();
  const [wal] = await server.sql<{ bytes: number }>('SELECT pg_wal_lsn_diff($1, $2)::float8 AS bytes', [after.lsn, before.lsn]);
  // The 2 MB logical message alone would be far above this; stackprobe's own reads write (almost) no WAL.
  expect(wal!.bytes).toBeLessThan(512 * 1024);
  expect({ ...after, lsn: '' }).toEqual({ ...before, lsn: '' });
  // The sessions an attack would terminate are alive, and the listener (which works: see the end) heard nothing.
  await victim.query('SELECT 1');
  await lateVictim.query('SELECT 1');
  expect(notifications).toEqual([]);
  expect(existsSync(exported)).toBe(false);
  expect(existsSync(path.join(server.dataDir, 'stackprobe-attack.txt'))).toBe(false);
}

async function connect(user: string, application: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: server.url(DB, user), application_name: application });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return c;
}

/** Statements a low-privilege role runs once, successfully, so pg_stat_statements keeps them for load.replay. */
const PLANTED = {
  terminate: `SELECT ${escaped('pg_terminate_backend')}(pid) FROM pg_stat_activity WHERE application_name = $1`,
  notify: 'SELECT pg_notify($1, $2)',
  lock: 'SELECT pg_advisory_lock_shared($1), pg_advisory_unlock_shared($1)',
  writer: 'SELECT "my_writer"($1)',
  view: 'SELECT * FROM planter.notify_view WHERE n = $1',
  clean: 'SELECT count(*) FROM ledger WHERE id = $1',
};

beforeAll(async () => {
  server = await startPrivateServer();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-attack-'));
  exported = path.join(tmp, 'exported');
  await server.sql(`CREATE DATABASE ${DB}`);
  await server.sql(`
    CREATE EXTENSION dblink; CREATE EXTENSION adminpack; CREATE EXTENSION pg_stat_statements;
    CREATE TABLE ledger (id int PRIMARY KEY, amount numeric(12,2) NOT NULL);
    INSERT INTO ledger SELECT g, g / 4.0 FROM generate_series(1, 2000) g; ANALYZE ledger;
    SELECT lo_from_bytea(0, 'a large object to export');
    CREATE ROLE planter LOGIN; CREATE SCHEMA planter AUTHORIZATION planter; GRANT SELECT ON ledger TO planter;`, [], DB);
  await server.sql(`SET ROLE planter;
    CREATE TABLE planter.log (v int);
    CREATE FUNCTION planter."my_writer"(v int) RETURNS int VOLATILE LANGUAGE sql AS 'INSERT INTO planter.log VALUES (v) RETURNING v';
    CREATE VIEW planter.notify_view AS SELECT n, pg_notify('attack', 'view') IS NOT NULL AS sent FROM generate_series(1, 3) n;`, [], DB);
  for (const [i, a] of attacks().entries()) {
    const body = `SELECT (${call(a)}) IS NOT NULL`;
    await server.sql(`
      CREATE VIEW attack_view_${i} AS ${body} AS r;
      CREATE FUNCTION attack_fn_${i}() RETURNS boolean STABLE LANGUAGE sql AS $b$${body}$b$;
      CREATE FUNCTION attack_op_${i}(int, int) RETURNS boolean STABLE LANGUAGE sql AS $b$${body}$b$;
      CREATE OPERATOR public.${operator(i)} (LEFTARG = int, RIGHTARG = int, FUNCTION = attack_op_${i});
      CREATE TYPE attack_t_${i} AS (hit boolean);
      CREATE FUNCTION attack_cast_${i}(int) RETURNS attack_t_${i} STABLE LANGUAGE sql AS $b$SELECT ROW((${call(a)}) IS NOT NULL)::attack_t_${i}$b$;
      CREATE CAST (int AS attack_t_${i}) WITH FUNCTION attack_cast_${i}(int);`, [], DB);
  }
  // What else runs when a relation is read or a value coerced: a row-level policy, a domain constraint, an aggregate's
  // transition function — each calling pg_notify through a STABLE SQL function.
  await server.sql(`
    CREATE FUNCTION hidden_notify() RETURNS boolean STABLE LANGUAGE sql AS $b$SELECT pg_notify('attack', 'hidden') IS NOT NULL$b$;
    CREATE TABLE guarded (id int); INSERT INTO guarded VALUES (1); ALTER TABLE guarded ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    CREATE POLICY sees_all ON guarded USING (hidden_notify());
    CREATE DOMAIN noisy AS int CHECK (hidden_notify());
    CREATE FUNCTION noisy_step(int, int) RETURNS int STABLE LANGUAGE sql AS $b$SELECT CASE WHEN hidden_notify() THEN $1 ELSE $2 END$b$;
    CREATE AGGREGATE noisy_sum(int) (SFUNC = noisy_step, STYPE = int, INITCOND = '0');`, [], DB);
  // The low-privilege role plants its statements (each runs fine for it: no session of that name exists yet, the
  // notifications go before anyone listens, the writer writes its own table) and the counters start from them.
  await server.sql('SELECT pg_stat_statements_reset()', [], DB);
  const planter = await connect('planter', 'planter');
  for (let i = 0; i < 20; i++) {
    await planter.query(PLANTED.terminate, ['victim-late']);
    await planter.query(PLANTED.notify, ['attack', `planted ${i}`]);
    await planter.query(PLANTED.lock, [i]);
    await planter.query(PLANTED.writer, [i]);
    await planter.query(PLANTED.view, [1]);
    await planter.query(PLANTED.clean, [1 + i]);
  }
  await planter.end();
  victim = await connect('postgres', 'victim');
  lateVictim = await connect('postgres', 'victim-late');
  const listener = await connect('postgres', 'listener');
  listener.on('notification', (n) => notifications.push(`${n.channel}: ${n.payload}`));
  await listener.query('LISTEN attack');
}, 120_000);

afterAll(async () => {
  for (const c of clients) await c.end().catch(() => undefined);
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const runChecks = async (config: ConfigInput, checks = [customQueriesCheck], user = 'postgres'): Promise<CheckResult[]> =>
  (await run({ config: validateConfig({ database_url: server.url(DB, user), ...config }), checks, signal: new AbortController().signal, log: silentLogger() })).checks;

describe('the read guard (parser + catalog)', () => {
  it('refuses every attack in every spelling, naming the function as the server resolved it', async () => {
    const before = await evidence();
    const pool = new pg.Pool({ connectionString: server.url(DB), max: 1 });
    pool.on('error', () => undefined);
    const guard = new ReadGuard(pool, { leastPrivilege: false, allowPrivileged: false, timeoutMs: 10_000 });
    const missed: string[] = [];
    try {
      for (const [i, a] of attacks().entries()) {
        for (const s of spellings(a, i)) {
          const why = await guard.whyNot(s.sql);
          if (!why?.includes(s.names)) missed.push(`${a.name} ${s.how}: ${why ?? 'allowed'}`);
        }
      }
      for (const sql of ['SELECT * FROM guarded', 'SELECT 1::noisy', 'SELECT noisy_sum(id) FROM ledger']) {
        const why = await guard.whyNot(sql);
        if (!why?.includes('pg_catalog.pg_notify(text, text)')) missed.push(`${sql}: ${why ?? 'allowed'}`);
      }
      // Clean SQL in the style of an application still passes: aggregates, windows, casts, the harmless volatile ones.
      for (const sql of [
        'SELECT id, sum(amount) OVER (ORDER BY id) FROM ledger WHERE id BETWEEN $1 AND $2 ORDER BY id',
        "SELECT $é$tag$é$ AS tag, now(), random(), clock_timestamp(), '2025-01-01'::date + 1, amount::text FROM ledger LIMIT 1",
        'SELECT count(*) FILTER (WHERE amount > 10), percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM ledger',
        'SELECT x FROM generate_series(1, 3) x', 'SELECT * FROM pg_stat_activity', 'SELECT * FROM pg_locks',
        'WITH t AS (SELECT id FROM ledger) SELECT count(*) FROM t', 'VALUES (1), (2)', 'TABLE ledger',
      ]) expect(await guard.whyNot(sql), sql).toBeNull();
    } finally {
      await pool.end();
    }
    expect(missed).toEqual([]);
    await expectNoEffect(before);
  });
});

describe('through the product, with the loud opt-in for the superuser test role', () => {
  it('invariants: each attack spelling is not run and named; the clean invariant is verified; nothing happened', async () => {
    const before = await evidence();
    const invariants = attacks().flatMap((a, i) => spellings(a, i).map((s, k) => ({ name: `attack_${i}_${k}`, sql: s.sql, names: s.names })));
    const [c] = await runChecks({
      read_only: true, allow_privileged_role: true,
      integrity: { invariants: [{ name: 'no_negative', sql: 'SELECT id FROM ledger WHERE amount < 0' }, ...invariants.map(({ name, sql }) => ({ name, sql }))] },
    }, [invariantsCheck]);
    for (const inv of invariants) {
      const f = c!.findings.find((x) => x.subject === inv.name);
      expect(f?.title, inv.sql).toMatch(/could not be evaluated: not run: it may run/);
      expect(f?.title, inv.sql).toContain(inv.names);
    }
    expect(c!.findings.find((x) => x.subject === 'no_negative')).toBeUndefined();
    expect(c!.findings.find((x) => x.subject === 'read-only')?.title).toMatch(/allowed by --allow-privileged-role/);
    await expectNoEffect(before);
  });

  it('custom queries: the check fails naming dblink_exec before anything runs', async () => {
    const before = await evidence();
    const [c] = await runChecks({
      read_only: true, allow_privileged_role: true,
      queries: { duration_s: 0.3, custom: [{ name: 'escaped', sql: `SELECT public.${escaped('dblink_exec')}('dbname=${DB} port=${server.port} host=127.0.0.1', 'INSERT INTO ledger VALUES (-2, 0)')` }] },
    });
    expect(c!.status).toBe('fail');
    expect(c!.reason).toMatch(/config\.queries\.custom\[0\]\.sql: not run: it may run public\.dblink_exec\(text, /);
    await expectNoEffect(before);
  });

  it('load.replay: statements planted by a low-privilege role are judged as that role and refused; the clean one replays as that role', async () => {
    const before = await evidence();
    const calls = () => server.sql<{ n: number }>(`SELECT coalesce(sum(s.calls), 0)::int AS n FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
      WHERE r.rolname = 'planter' AND s.query = $1`, [PLANTED.clean], DB);
    const cleanBefore = (await calls())[0]!.n;
    const [c] = await runChecks({
      read_only: true, allow_privileged_role: true,
      load: { stages: [{ rate: 20, duration: '1s' }], pool_size: 2, replay: { top: 20, include: Object.values(PLANTED) } },
    }, [replayLoadCheck]);
    const refused = (c!.info.not_replayed ?? []) as Array<{ statement: string; reason: string }>;
    const reason = (sql: string) => refused.find((r) => r.statement === sql)?.reason ?? `not refused: ${JSON.stringify(refused)}`;
    expect(reason(PLANTED.terminate)).toMatch(/as planter: it may run pg_catalog\.pg_terminate_backend\(integer, bigint\)/);
    expect(reason(PLANTED.notify)).toMatch(/pg_catalog\.pg_notify\(text, text\)/);
    expect(reason(PLANTED.lock)).toMatch(/pg_catalog\.pg_advisory_lock_shared\(bigint\)/);
    expect(reason(PLANTED.writer)).toMatch(/planter\.my_writer\(integer\): VOLATILE/);
    expect(reason(PLANTED.view)).toMatch(/pg_catalog\.pg_notify\(text, text\) \(through the view or policy of relation (planter\.)?notify_view\)/);
    const mix = c!.info.replay_mix as Array<{ statement: string }>;
    expect(mix.map((m) => m.statement)).toContain(PLANTED.clean);
    // Replayed as the role that ran it: pg_stat_statements counts the replay under planter, not the operator.
    expect((await calls())[0]!.n).toBeGreaterThan(cleanBefore);
    await expectNoEffect(before);
  });
});

describe('least privilege under --read-only', () => {
  const clean = { queries: { duration_s: 0.3, custom: [{ name: 'balance', sql: 'SELECT sum(amount) FROM ledger WHERE id < $1', params: [100] }] } };

  it('refuses a superuser with what it can do and the SQL for a role that cannot; that role passes; replay skips roles it may not SET ROLE to', async () => {
    const [refused] = await runChecks({ read_only: true, ...clean });
    expect(refused!.status).toBe('fail');
    expect(refused!.reason).toMatch(/the role postgres could write or act outside a read-only transaction \(superuser;/);
    const finding = refused!.findings.find((f) => f.subject === 'read-only')!;
    expect(finding.severity).toBe('error');
    const sql = (finding.data as { sql: string }).sql;
    expect(sql).toMatch(/^CREATE ROLE stackprobe_reader LOGIN/);
    expect(sql).toContain('GRANT pg_read_all_data, pg_monitor TO stackprobe_reader;');
    // dblink's functions are PUBLIC's: the SQL takes them back, or the new role could still reach other servers.
    expect(sql).toMatch(/e\.extname = 'dblink'/);
    expect(finding.detail).toMatch(/EXECUTE on \d+ function\(s\) of extension dblink/);

    await server.sql(sql, [], DB);
    const [ok] = await runChecks({ read_only: true, ...clean }, [customQueriesCheck], 'stackprobe_reader');
    expect(ok!.status, ok!.reason).toBe('pass');
    expect(ok!.findings.filter((f) => f.subject === 'read-only')).toEqual([]);

    const [replay] = await runChecks({ read_only: true, load: { stages: [{ rate: 10, duration: '1s' }], pool_size: 1, replay: { top: 20, include: Object.values(PLANTED) } } }, [replayLoadCheck], 'stackprobe_reader');
    // Every planted statement ran as planter, whom stackprobe_reader may not become: none is replayed, each says why.
    expect(replay!.status).toBe('fail');
    expect(replay!.reason).toMatch(/^none of the 6 chosen statements can be replayed: stackprobe's role may not SET ROLE to planter, the role that ran it: permission denied/);
  });

  it('--allow-privileged-role lets the superuser through, said on the first screen and recorded in run.json', async () => {
    const out = path.join(tmp, 'out');
    const file = path.join(tmp, 'clean.json');
    await writeFile(file, JSON.stringify(clean));
    const res = await runCli(['run', '--read-only', '--allow-privileged-role', '--only', 'queries.custom', '--config', file, '--output', out, '--format', 'json'], { env: { DATABASE_URL: server.url(DB) } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr.split('\n')[0]).toMatch(/^WARNING: --allow-privileged-role/);
    const result = JSON.parse(await readFile(path.join(runDirOf(out), 'run.json'), 'utf8')) as { checks: CheckResult[] };
    const custom = result.checks.find((c) => c.id === 'queries.custom')!;
    expect(custom.info.privileged_role).toMatchObject({ role: 'postgres', allowedBy: '--allow-privileged-role' });
    expect(custom.findings.find((f) => f.subject === 'read-only')).toMatchObject({ severity: 'warn' });
    // The listener that heard nothing all along does hear a notification: its silence was evidence.
    await server.sql(`NOTIFY attack, 'real'`, [], DB);
    await waitFor(() => notifications.length > 0, 5000, 'the listener to hear a real notification');
    expect(notifications).toEqual(['attack: real']);
  });
});
