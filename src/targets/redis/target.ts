// The Redis target: the interface checks (cache, load, BullMQ) use. Owned by the cache category.
import type { Redis } from 'ioredis';
import type { TargetFacts } from '../../result/model.js';

export interface RedisTarget {
  readonly kind: 'redis';
  readonly facts: TargetFacts;
  /** A connected client shared by the checks; do not quit it. */
  readonly client: Redis;
  /** A new connection (one per virtual user, or for blocking commands); the caller quits it (`ctx.defer`). */
  duplicate(): Redis;
  /** Every key stackprobe writes starts with this (`stackprobe:`), and carries a TTL. */
  readonly keyPrefix: string;
  close(): Promise<void>;
}
