// Config section `backup`: what the round trip dumps, where pg_dump is, and how old the latest backup may be.
import { z } from 'zod';

const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

export const BackupSection = z
  .strictObject({
    schemas: z.array(nonEmpty('a schema name'), { error: 'expected a list of schema names' }).min(1, { error: 'expected at least one schema' }).optional()
      .describe('Schemas the round trip dumps and restores, exact names (case-sensitive). Default: with DATABASE_URL every non-system schema except stackprobe\'s own; on the private server stackprobe\'s workload schema'),
    whole_database: z.boolean().default(false).describe('Dump and restore every non-system schema, stackprobe\'s included, instead of `schemas`'),
    max_bytes: z.number({ error: 'expected a size in bytes' }).int({ error: 'expected a whole number of bytes' }).positive({ error: 'expected a positive size in bytes' }).max(2 ** 50, { error: 'expected at most 2^50 bytes' }).default(1024 ** 3)
      .describe('Data (heap + TOAST bytes) the round trip dumps and compares; beyond it the largest tables are dumped without data and named in the result'),
    quick_max_bytes: z.number({ error: 'expected a size in bytes' }).int({ error: 'expected a whole number of bytes' }).positive({ error: 'expected a positive size in bytes' }).max(2 ** 50, { error: 'expected at most 2^50 bytes' }).default(100 * 1024 ** 2)
      .describe('In quick mode against your DATABASE_URL, the lower data limit (so a quick run reads at most this much from a production server)'),
    lock_wait_ms: z.number({ error: 'expected milliseconds' }).int({ error: 'expected whole milliseconds' }).min(1, { error: 'expected at least 1 ms' }).max(600_000, { error: 'expected at most 600000 ms' }).default(10_000)
      .describe('How long pg_dump and the checksum reads wait for a table another session has locked before the check fails (they never queue behind your DDL for long)'),
    pg_dump_path: nonEmpty('a path to pg_dump or the directory holding it').optional()
      .describe('pg_dump to use (or its bin directory, which must also hold pg_restore); by default PATH, then /usr/lib/postgresql/<major>/bin'),
    max_restore_s: z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' }).optional()
      .describe('Your recovery time objective: the restore must finish within this many seconds'),
    max_archive_age_s: z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' }).default(3600)
      .describe('With WAL archiving on: warn when the last archived WAL segment is older than this (seconds)'),
    backup_dir: nonEmpty('a directory').optional().describe('Your backup directory: its newest file is the latest backup'),
    latest_backup_at: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 timestamp like 2025-01-31T02:00:00Z' }).optional()
      .describe('When your latest backup finished (ISO 8601), if you track it elsewhere'),
    dump_file: nonEmpty('a path to a pg_dump custom-format file or directory-format folder').optional()
      .describe('backup.restore_drill: your pg_dump archive (custom format -Fc, or directory format -Fd), restored into a throwaway private server and verified'),
    base_backup: nonEmpty('a path to a pg_basebackup directory or tar').optional()
      .describe('backup.restore_drill: your pg_basebackup output (a plain directory, or a folder holding base.tar[.gz]); needs wal_archive'),
    wal_archive: nonEmpty('a WAL archive directory').optional()
      .describe('backup.restore_drill: the directory your archive_command copies WAL segments into (read by the drill\'s restore_command)'),
    target_time: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 timestamp like 2025-01-31T02:00:00Z' }).optional()
      .describe('backup.restore_drill with base_backup or pgbackrest: recover to this point in time (recovery_target_time, then promote) instead of the end of the archive'),
    pgbackrest: z.strictObject({
      stanza: nonEmpty('a pgBackRest stanza name').describe('The stanza whose backup the drill restores'),
      config: nonEmpty('a path to pgbackrest.conf').optional().describe('pgBackRest configuration file (default: pgbackrest\'s own, /etc/pgbackrest/pgbackrest.conf)'),
      set: nonEmpty('a backup label like 20250131-020000F').optional().describe('The backup set to restore (default: the latest)'),
    }).optional().describe('backup.restore_drill: restore a pgBackRest backup with `pgbackrest restore` (WAL through `pgbackrest archive-get`)'),
    max_age_h: z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' }).default(26)
      .describe('With backup_dir or latest_backup_at: the latest backup must be younger than this (hours)'),
  })
  .prefault({})
  .describe('Options of the backup category');

export type BackupConfig = z.output<typeof BackupSection>;
