// Config section `embedded`: the private PostgreSQL started when no database_url is given. Wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';
import { DEFAULT_PG_MAJOR, PG_MAJORS } from '../../targets/embedded/builds.js';

const MAJOR_ERROR = `expected a PostgreSQL major version, one of ${PG_MAJORS.join(', ')}`;

export const EmbeddedSection = z
  .strictObject({
    pg_version: z
      .number({ error: MAJOR_ERROR })
      .refine((n) => PG_MAJORS.includes(n), { error: MAJOR_ERROR })
      .default(DEFAULT_PG_MAJOR)
      .describe(`Major version of the private PostgreSQL (flag --pg-version): ${PG_MAJORS.join(', ')}; ${DEFAULT_PG_MAJOR} matches the client tools (pg_dump) most machines have. Majors other than ${DEFAULT_PG_MAJOR} are optional dependencies; a missing one stops the run with the npm command that installs it`),
  })
  .prefault({})
  .describe('The private embedded PostgreSQL, used only when database_url is not set');
