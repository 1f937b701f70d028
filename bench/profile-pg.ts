// The CPU profile behind figure 1's product rows: queries.custom (or, with `load`, the load.mixed check's closed loop)
// at 8 VUs on pgbench's data, run under `node --cpu-prof` (see bench/README.md, "Where the client's CPU goes"), then
// the profile summarised by self time.
//   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/sp-prof --import tsx --import ./bench/lib/use-dist.mjs bench/profile-pg.ts [seconds] [load]
//   node --import tsx bench/profile-pg.ts --read /tmp/sp-prof/<file>.cpuprofile
import { readFileSync } from 'node:fs';
import { findTool, runTool } from './lib/proc.js';
import { PGBENCH_CANDIDATES } from './lib/fig1-pg.js';
import { loadCustomTool, queriesCustomTool } from './lib/pg-tools.js';
import { createScratchDb, libpqArgs } from './lib/scratch-db.js';
import { summariseProfile } from './lib/cpuprofile.js';

async function profile(seconds: number, path: 'queries.custom' | 'load'): Promise<void> {
  const pgbench = findTool('pgbench', PGBENCH_CANDIDATES);
  if (!pgbench) throw new Error('pgbench not found');
  const db = await createScratchDb(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
  try {
    const { args, env, db: name } = libpqArgs(db.url);
    const init = await runTool(pgbench, [...args, '-i', '-s', '10', '-q', name], env);
    if (init.code !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
    const m = await (path === 'load' ? loadCustomTool : queriesCustomTool)(db.url, 8, seconds).run();
    process.stdout.write(`${path}: ${Math.round(m.ops / m.seconds)} q/s, ${((m.cpuSeconds * 1e6) / m.ops).toFixed(1)} µs CPU/q (whole run)\n`);
  } finally {
    await db.drop();
  }
}

const at = process.argv.indexOf('--read');
if (at >= 0) {
  const file = process.argv[at + 1]!;
  process.stdout.write(`${summariseProfile(JSON.parse(readFileSync(file, 'utf8')), 30)}\n`);
} else {
  await profile(Number(process.argv[2] ?? 10), process.argv[3] === 'load' ? 'load' : 'queries.custom');
}
