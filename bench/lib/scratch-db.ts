// A scratch PostgreSQL database for one figure: created with a random name next to the given one, always dropped.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ScratchDb {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createScratchDb(url: string): Promise<ScratchDb> {
  const name = `stackprobe_bench_${randomBytes(4).toString('hex')}`;
  await admin(url, (c) => c.query(`CREATE DATABASE "${name}"`));
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    // WITH (FORCE) ends any connection a failed figure left behind, so the drop cannot hang on it.
    drop: () => admin(url, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** libpq's connection arguments for pgbench from a URL (the password goes into PGPASSWORD, never onto the command line). */
export function libpqArgs(url: string): { args: string[]; env: NodeJS.ProcessEnv; db: string } {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const args = ['-h', u.hostname || '127.0.0.1', '-p', u.port || '5432', '-U', decodeURIComponent(u.username) || 'postgres'];
  return { args, env, db: decodeURIComponent(u.pathname.slice(1)) };
}
