// Redis's own view: commands per second (from total_commands_processed deltas), connected clients, memory.
import { REDIS_CLIENTS, REDIS_MEMORY_MB, REDIS_OPS_PER_S, TASK_QUEUE_DEPTH } from './metrics.js';
import type { Reading, ResourceSource } from './types.js';

export function parseInfoFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** What the source needs of a Redis connection (a target's RedisClient is one). */
interface InfoClient {
  info(): Promise<string>;
}

export class RedisInfoSource implements ResourceSource {
  readonly name = 'redis';
  private prev: { commands: number; at: number } | null = null;

  constructor(private readonly client: InfoClient) {}

  async sample(): Promise<Reading[]> {
    const info = parseInfoFields(await this.client.info());
    const at = performance.now();
    const commands = Number(info.total_commands_processed ?? 0);
    const out: Reading[] = [
      { metric: REDIS_CLIENTS, value: Number(info.connected_clients ?? 0) },
      { metric: REDIS_MEMORY_MB, value: Number(info.used_memory ?? 0) / (1024 * 1024) },
    ];
    if (this.prev) out.push({ metric: REDIS_OPS_PER_S, value: Math.max(0, commands - this.prev.commands) / Math.max((at - this.prev.at) / 1000, 1e-3) });
    this.prev = { commands, at };
    return out;
  }
}

/** A task queue's depth through whatever can read it (the Celery target's queueDepth). */
export class QueueDepthSource implements ResourceSource {
  readonly name = 'task_queue';
  constructor(private readonly depth: () => Promise<number>) {}
  async sample(): Promise<Reading[]> {
    return [{ metric: TASK_QUEUE_DEPTH, value: await this.depth() }];
  }
}
