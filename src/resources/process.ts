// stackprobe's own process: CPU % (of one core), resident memory, and the event loop's delay (perf_hooks), to tell
// when the load generator itself was the bottleneck.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { PROCESS_CPU_PERCENT, PROCESS_EVENT_LOOP_DELAY_P99_MS, PROCESS_RSS_MB } from './metrics.js';
import type { Reading, ResourceSource } from './types.js';

export class ProcessSource implements ResourceSource {
  readonly name = 'process';
  private prevCpu = process.cpuUsage();
  private prevAt = performance.now();
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.delay.enable();
  }

  sample(): Reading[] {
    const now = performance.now();
    const cpu = process.cpuUsage(this.prevCpu);
    const wallUs = Math.max((now - this.prevAt) * 1000, 1);
    this.prevCpu = process.cpuUsage();
    this.prevAt = now;
    // The histogram is in ns and includes the sampling resolution itself; subtract it so an idle loop reads ~0.
    const p99 = this.delay.count > 0 ? Math.max(0, this.delay.percentile(99) / 1e6 - 10) : 0;
    this.delay.reset();
    return [
      { metric: PROCESS_CPU_PERCENT, value: ((cpu.user + cpu.system) / wallUs) * 100 },
      { metric: PROCESS_RSS_MB, value: process.memoryUsage.rss() / (1024 * 1024) },
      { metric: PROCESS_EVENT_LOOP_DELAY_P99_MS, value: p99 },
    ];
  }

  close(): void {
    this.delay.disable();
  }
}
