// The database server's CPU cores as far as a client can know them: SQL does not say, so config, or this host's when local.
import os from 'node:os';

export interface ServerCores {
  cores: number | undefined;
  /** How the figure was found, said in the report: a guess of the wrong machine would bias the recommendation. */
  source: 'config' | 'local host' | 'unknown';
}

/** Loopback addresses, localhost, and Unix sockets (a host that is a path, or `host=` pointing at one). */
export function isLocalUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    // pg also accepts key=value strings; those cannot be told apart here, so the server counts as not local.
    void err;
    return false;
  }
  const socketHost = u.searchParams.get('host');
  if (socketHost?.startsWith('/')) return true;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === '' || host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export function serverCores(url: string, configured: number | undefined, isPrivate: boolean): ServerCores {
  if (configured !== undefined) return { cores: configured, source: 'config' };
  if (isPrivate || isLocalUrl(url)) return { cores: os.availableParallelism(), source: 'local host' };
  return { cores: undefined, source: 'unknown' };
}
