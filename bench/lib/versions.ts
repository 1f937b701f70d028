// The versions of the tools a result was measured with, for the results file.
import { execFile } from 'node:child_process';
import { findTool } from './proc.js';
import { PGBENCH_CANDIDATES } from './fig1-pg.js';

function version(file: string | undefined, arg = '--version'): Promise<string> {
  if (!file) return Promise.resolve('missing');
  return new Promise((resolve) => execFile(file, [arg], (err, out) => resolve(err ? `error: ${err.message}` : out.trim())));
}

export async function toolVersions(): Promise<Record<string, string>> {
  return {
    pgbench: await version(findTool('pgbench', PGBENCH_CANDIDATES)),
    'redis-benchmark': await version(findTool('redis-benchmark')),
    'redis-server': await version(findTool('redis-server')),
  };
}
