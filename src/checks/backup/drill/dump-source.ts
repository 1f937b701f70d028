// Drill source `backup.dump_file`: a pg_dump custom or directory archive, pg_restore'd into a fresh database of a private server.
import { SkipCheck } from '../../../util/errors.js';
import type { CheckContext } from '../../types.js';
import { findPgTools } from '../pg-tools.js';
import { runTool } from '../spawn.js';
import { headerDate, headerFile, readArchiveHeader, restoreMajorFor, restoreReads } from './archive-header.js';
import type { DrillOutcome } from './outcome.js';
import { findServerBinaries, initdb, makeRoot, startServer } from './server.js';
import { privateClient, verifyRestored } from './verify.js';

const majorOf = (v: string | undefined) => (v ? Number.parseInt(v, 10) : undefined);

export async function drillDumpFile(ctx: CheckContext, dumpPath: string): Promise<DrillOutcome> {
  const { file, format } = await headerFile(dumpPath);
  const header = await readArchiveHeader(file).catch((err: Error) => { throw new Error(`${dumpPath} cannot be read as a pg_dump archive: ${err.message}`); });
  const minor = Number(header.version.split('.')[1]);
  const sourceMajor = majorOf(header.serverVersion);
  const neededRestore = restoreMajorFor(minor);
  ctx.info('archive', { format, archiveVersion: header.version, database: header.database, serverVersion: header.serverVersion, pgDumpVersion: header.pgDumpVersion });
  // pg_restore must be at least as new as the pg_dump that wrote the archive; the server at least as new as the source.
  const want = Math.max(neededRestore ?? 99, sourceMajor ?? 0);
  const bins = await findServerBinaries(want, false);
  if ('reason' in bins) throw new SkipCheck(`the archive (format ${header.version}${header.pgDumpVersion ? `, pg_dump ${header.pgDumpVersion}` : ''}${header.serverVersion ? `, from PostgreSQL ${header.serverVersion}` : ''}) needs pg_restore and a server of PostgreSQL ${neededRestore ?? 'newer than 17'} or newer: ${bins.reason}`);
  const tools = await findPgTools(bins.major, ctx.config.backup.pg_dump_path);
  if ('reason' in tools) throw new SkipCheck(tools.reason);
  if (!restoreReads(bins.major, minor)) {
    throw new SkipCheck(`the archive is format ${header.version}, which pg_restore ${tools.version} cannot read: it needs pg_restore from PostgreSQL ${neededRestore ?? '18 or newer'} (install postgresql-client-${neededRestore ?? 'N'} and its server binaries)`);
  }
  ctx.info('tools', { server: `${bins.source} (PostgreSQL ${bins.version})`, pgRestore: `${tools.pgRestore} (${tools.version})` });

  const t0 = performance.now();
  const root = await makeRoot();
  ctx.defer(() => root.remove());
  ctx.progress(`initdb of a private PostgreSQL ${bins.version}`);
  await initdb(bins, root, ctx.signal, ctx.config.timeouts.check_ms);
  const server = await startServer(bins, root, []);
  ctx.defer(() => server.stop());
  await server.waitFor(/database system is ready to accept connections/, 60_000, 'accepting connections', ctx.signal);
  const startMs = performance.now() - t0;

  const dbName = 'restored';
  const admin = await privateClient(ctx, server.host, server.port, 'postgres', 'postgres');
  await admin.query(`CREATE DATABASE ${dbName} TEMPLATE template0 ENCODING 'UTF8'`);
  ctx.progress(`pg_restore ${tools.version} of ${dumpPath}`);
  const env = { PGHOST: server.host, PGPORT: String(server.port), PGUSER: 'postgres', PGDATABASE: dbName };
  const r0 = performance.now();
  await runTool(tools.pgRestore, ['--no-owner', '--no-privileges', '--exit-on-error', `--dbname=${dbName}`, dumpPath], { env, signal: ctx.signal, timeoutMs: ctx.config.timeouts.check_ms })
    .catch((err: Error) => { throw new Error(`the restore of ${dumpPath} failed: ${err.message}`); });
  const restoreMs = performance.now() - r0;

  const db = await privateClient(ctx, server.host, server.port, 'postgres', dbName);
  const verified = await verifyRestored(ctx, db, bins.major);
  const at = headerDate(header);
  return { tool: `pg_restore ${tools.version}`, restoreMs, consistencyMs: startMs, recoveryPoint: at, backupTime: at, verified, sizeBytes: undefined };
}
