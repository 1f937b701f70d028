// The client host: CPU %, memory, load average, disk I/O (Linux /proc/diskstats) and free space where results are written.
import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HOST_CPU_PERCENT, HOST_DISK_FREE_GB, HOST_DISK_READ_MB_S, HOST_DISK_WRITE_MB_S, HOST_LOAD_1M, HOST_MEMORY_USED_MB } from './metrics.js';
import type { Reading, ResourceSource } from './types.js';

const SECTOR_BYTES = 512;
const MB = 1024 * 1024;

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

/** Sectors read and written by whole disks (partitions and virtual devices left out so nothing is counted twice). */
export function parseDiskstats(text: string): { read: number; written: number } {
  let read = 0;
  let written = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const dev = f[2]!;
    if (/^(loop|ram|dm-|sr|md)/.test(dev) || /^(sd[a-z]+|vd[a-z]+|xvd[a-z]+|hd[a-z]+)\d+$/.test(dev) || /^nvme\d+n\d+p\d+$/.test(dev) || /^mmcblk\d+p\d+$/.test(dev)) continue;
    read += Number(f[5]);
    written += Number(f[9]);
  }
  return { read: read * SECTOR_BYTES, written: written * SECTOR_BYTES };
}

async function diskBytes(): Promise<{ read: number; written: number } | null> {
  if (process.platform !== 'linux') return null;
  try {
    return parseDiskstats(await readFile('/proc/diskstats', 'utf8'));
  } catch (err) {
    // Containers without /proc/diskstats: disk I/O is simply not reported.
    void err;
    return null;
  }
}

/** statfs of the path, or of its nearest existing parent (the output directory may not exist yet). */
async function statfsNearest(p: string): Promise<{ bavail: number; bsize: number }> {
  for (let dir = path.resolve(p); ; dir = path.dirname(dir)) {
    try {
      return await statfs(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dir === path.dirname(dir)) throw err;
    }
  }
}

export class HostSource implements ResourceSource {
  readonly name = 'host';
  private prevCpu = cpuTimes();
  private prevDisk: { read: number; written: number; at: number } | null = null;

  constructor(private readonly diskPath: string) {}

  async sample(): Promise<Reading[]> {
    const cpu = cpuTimes();
    const dt = cpu.total - this.prevCpu.total;
    const out: Reading[] = [
      { metric: HOST_CPU_PERCENT, value: dt > 0 ? ((cpu.busy - this.prevCpu.busy) / dt) * 100 : 0 },
      { metric: HOST_MEMORY_USED_MB, value: (os.totalmem() - os.freemem()) / MB },
      { metric: HOST_LOAD_1M, value: os.loadavg()[0]! },
    ];
    this.prevCpu = cpu;
    const disk = await diskBytes();
    const now = performance.now();
    if (disk && this.prevDisk) {
      const sec = Math.max((now - this.prevDisk.at) / 1000, 1e-3);
      out.push({ metric: HOST_DISK_READ_MB_S, value: (disk.read - this.prevDisk.read) / MB / sec });
      out.push({ metric: HOST_DISK_WRITE_MB_S, value: (disk.written - this.prevDisk.written) / MB / sec });
    }
    if (disk) this.prevDisk = { ...disk, at: now };
    const fsStats = await statfsNearest(this.diskPath);
    out.push({ metric: HOST_DISK_FREE_GB, value: (fsStats.bavail * fsStats.bsize) / 1024 ** 3 });
    return out;
  }
}
