// Test helper: watches the descendants of a process through /proc and keeps each one's command name and environment, read once it has exec'd its program.
import { readdir, readFile } from 'node:fs/promises';

export interface SeenProcess {
  pid: number;
  comm: string;
  /** NUL-separated `NAME=value` pairs, as /proc/<pid>/environ holds them. */
  environ: string;
  /** Its argv, NUL-separated, as /proc/<pid>/cmdline holds it (what `ps` shows). */
  cmdline: string;
}

async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const out: number[] = [];
  for (const t of tasks) {
    const text = await readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '');
    for (const c of text.trim().split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

/**
 * Polls the process tree under `root` every few milliseconds. A child between fork and exec still shows our own
 * environment, so a process is recorded only once its command name is no longer node's.
 */
export function watchDescendants(root = process.pid, everyMs = 2): { seen: Map<number, SeenProcess>; stop(): Promise<void> } {
  const seen = new Map<number, SeenProcess>();
  let running = true;
  const ownComm = readFile(`/proc/${root}/comm`, 'utf8').then((t) => t.trim());
  const loop = (async () => {
    const own = await ownComm;
    while (running) {
      const queue = await childrenOf(root);
      while (queue.length > 0) {
        const pid = queue.shift()!;
        queue.push(...(await childrenOf(pid)));
        if (seen.has(pid)) continue;
        const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
        if (!comm || comm === own || comm === 'node') continue;
        const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => undefined);
        const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
        if (environ !== undefined) seen.set(pid, { pid, comm, environ, cmdline });
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return { seen, stop: async () => { running = false; await loop; } };
}

/** Marker values for the variables a child must never get; set in our environment while a test runs. */
export const MARKERS: Record<string, string> = {
  DATABASE_URL: 'postgres://marker:MARKER-db-pass@127.0.0.1:1/marker',
  REDIS_URL: 'redis://:MARKER-redis-pass@127.0.0.1:1/0',
  CELERY_BROKER_URL: 'redis://:MARKER-celery-pass@127.0.0.1:1/1',
  CELERY_RESULT_BACKEND: 'redis://:MARKER-celery-backend@127.0.0.1:1/2',
  PGPASSWORD: 'MARKER-pgpassword',
};

/** Sets the markers in process.env; returns the function that puts the old values back. */
export function setMarkers(): () => void {
  const old = Object.fromEntries(Object.keys(MARKERS).map((k) => [k, process.env[k]]));
  Object.assign(process.env, MARKERS);
  return () => {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** What in a child's environment must not be there: a marker, a URL, a password variable. */
export function leaks(p: SeenProcess, secrets: string[] = []): string[] {
  const vars = p.environ.split('\0').filter(Boolean);
  return vars.filter((v) => /MARKER|:\/\/|^PGPASSWORD=|_URL=|^CELERY_/i.test(v) || secrets.some((s) => v.includes(s))).map((v) => `${p.comm}[${p.pid}]: ${v.split('=')[0]}`);
}
