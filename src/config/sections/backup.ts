// Config section `backup`: what the round trip dumps, where pg_dump is, and how old the latest backup may be.
import { z } from 'zod';

const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

export const BackupSection = z
  .strictObject({
    schemas: z.array(nonEmpty('a schema name'), { error: 'expected a list of schema names' }).min(1, { error: 'expected at least one schema' }).default(['stackprobe'])
      .describe('Schemas the round trip dumps and restores; default stackprobe\'s own workload schema (created for the run)'),
    whole_database: z.boolean().default(false).describe('Dump and restore the whole database instead of `schemas` (may be large)'),
    pg_dump_path: nonEmpty('a path to pg_dump or the directory holding it').optional()
      .describe('pg_dump to use (or its bin directory, which must also hold pg_restore); by default PATH, then /usr/lib/postgresql/<major>/bin'),
    max_restore_s: z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' }).optional()
      .describe('Your recovery time objective: the restore must finish within this many seconds'),
    max_archive_age_s: z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' }).default(3600)
      .describe('With WAL archiving on: warn when the last archived WAL segment is older than this (seconds)'),
    backup_dir: nonEmpty('a directory').optional().describe('Your backup directory: its newest file is the latest backup'),
    latest_backup_at: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 timestamp like 2025-01-31T02:00:00Z' }).optional()
      .describe('When your latest backup finished (ISO 8601), if you track it elsewhere'),
    max_age_h: z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' }).default(26)
      .describe('With backup_dir or latest_backup_at: the latest backup must be younger than this (hours)'),
  })
  .prefault({})
  .describe('Options of the backup category');

export type BackupConfig = z.output<typeof BackupSection>;
