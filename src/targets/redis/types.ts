// The Redis connection a check and a plugin get, as an interface of ours: the commands they may use, whichever driver
// stands behind it (ioredis today, whose client satisfies it: target.ts checks that at build time). No driver type here.

type Arg = string | Buffer | number;

/** Commands queued on one connection and sent together: exec() gives each reply, or its error, in order. */
export interface RedisPipeline {
  set(key: string, value: string, expiryToken: 'EX', seconds: number): RedisPipeline;
  pttl(key: string | Buffer): RedisPipeline;
  type(key: string | Buffer): RedisPipeline;
  object(subcommand: 'FREQ', key: string | Buffer): RedisPipeline;
  call(command: string, ...args: Arg[]): RedisPipeline;
  exec(): Promise<Array<[error: Error | null, reply: unknown]> | null>;
}

/**
 * One Redis connection. `call` sends any command (its reply as the server sent it); the named methods are the ones
 * stackprobe's own checks use. The target's shared client is connected; a duplicate connects on connect().
 */
export interface RedisClient {
  /** `ready` once connected and usable; `end` once closed. */
  readonly status: string;
  call(command: string, ...args: Arg[]): Promise<unknown>;
  info(...sections: string[]): Promise<string>;
  ping(): Promise<string>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, expiryToken: 'EX', seconds: number): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
  unlink(...keys: string[]): Promise<number>;
  dbsize(): Promise<number>;
  scan(cursor: string, countToken: 'COUNT', count: number): Promise<[cursor: string, keys: string[]]>;
  scan(cursor: string, matchToken: 'MATCH', pattern: string, countToken: 'COUNT', count: number): Promise<[cursor: string, keys: string[]]>;
  /** SCAN with keys as bytes: a key that is not UTF-8 stays what it is. */
  scanBuffer(cursor: string, countToken: 'COUNT', count: number): Promise<[cursor: Buffer, keys: Buffer[]]>;
  hmget(key: string, ...fields: string[]): Promise<Array<string | null>>;
  xrevrange(key: string, end: string, start: string, countToken: 'COUNT', count: number): Promise<Array<[id: string, fields: string[]]>>;
  pipeline(): RedisPipeline;
  connect(): Promise<void>;
  /** Ends the connection after the replies in flight. */
  quit(): Promise<unknown>;
  /** Drops the socket now. */
  disconnect(): void;
  /** A connection error (commands reject with their own errors too); without a listener the process would crash. */
  on(event: 'error', listener: (err: Error) => void): unknown;
}
