// The database server's CPU cores as far as a client can know them: SQL does not say, so config, or this host's when local.
import os from 'node:os';

export interface ServerCores {
  cores: number | undefined;
  /** How the figure was found, said in the report: a guess of the wrong machine would bias the recommendation. */
  source: 'config' | 'local host' | 'unknown';
}

/** `local`: the server runs on this machine (PgTarget.location), so this host's cores are its cores. */
export function serverCores(local: boolean, configured: number | undefined, isPrivate: boolean): ServerCores {
  if (configured !== undefined) return { cores: configured, source: 'config' };
  if (isPrivate || local) return { cores: os.availableParallelism(), source: 'local host' };
  return { cores: undefined, source: 'unknown' };
}
