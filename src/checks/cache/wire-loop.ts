// The measuring loop of cache.concurrency: VUs over measuring-path connections, each one keyed command at a time, sent
// through the connection's callback API with a callback made once per VU: no promise, no closure, no executor per command.
import type { Recorder } from '../../exec/recorder.js';
import type { KeyedCommand } from '../../targets/redis/wire/commands.js';
import type { BatchDone, BatchOutcome, WireConnection } from '../../targets/redis/wire/connection.js';

/** One kind of command the VUs send, and where its outcomes go. */
export interface KeyedOp {
  command: KeyedCommand;
  recorder: Recorder;
}

export interface WireLoopOptions {
  /** VU `vu` sends on `conns[vu % conns.length]`: in flight per connection is vus / connections. */
  conns: readonly WireConnection[];
  vus: number;
  durationMs: number;
  /** Stops starting commands; those in flight end with their reply or the connection's command timeout. */
  signal: AbortSignal;
  ops: readonly KeyedOp[];
  /** VU `vu`'s next command: `ops[op]` to key number `key` (both chosen by the caller, from the VU's own PRNG). */
  pick(vu: number, next: { op: number; key: number }): void;
}

export interface WireLoopResult {
  /** Commands answered without an error reply. */
  succeeded: number;
  /** Commands answered with an error reply, or failed with their connection (timeouts included). */
  failed: number;
  /** From the first command to the last reply. */
  elapsedMs: number;
}

/**
 * Runs the loop for `durationMs`. Each command is timed from its send to its reply and recorded into its op's recorder;
 * a VU starts its next command from its reply's callback. No timer per command is needed: a connection fails every
 * command in flight on it once the oldest waited past its command timeout, and a failed connection fails each later
 * command on the next turn of the event loop (never synchronously), so a VU's chain neither stalls nor grows the stack.
 * The reply's timestamp is the next command's start, so a command costs one clock read here.
 */
export function runWireLoop(o: WireLoopOptions): Promise<WireLoopResult> {
  const { conns, ops, signal, vus } = o;
  const started = performance.now();
  const deadline = started + o.durationMs;
  const opOf = new Uint8Array(vus);
  const sentAt = new Float64Array(vus);
  const next = { op: 0, key: 0 };
  let succeeded = 0;
  let failed = 0;
  let live = vus;
  let lastReply = started;
  return new Promise((resolve) => {
    const finish = (): void => {
      if (--live === 0) resolve({ succeeded, failed, elapsedMs: lastReply - started });
    };
    const send = (vu: number, now: number): void => {
      if (signal.aborted || now >= deadline) return finish();
      o.pick(vu, next);
      opOf[vu] = next.op;
      sentAt[vu] = now;
      conns[vu % conns.length]!.send(ops[next.op]!.command.encode(next.key), 1, dones[vu]!);
    };
    const ended = (vu: number, err: Error | undefined, outcome: BatchOutcome): void => {
      const now = performance.now();
      lastReply = now;
      const recorder = ops[opOf[vu]!]!.recorder;
      const error = err ?? outcome.firstError;
      if (error === undefined) {
        succeeded++;
        recorder.ok(now - sentAt[vu]!);
      } else {
        failed++;
        recorder.fail(error);
      }
      send(vu, now);
    };
    // One callback per VU for the whole loop: the command's reply calls it with the VU's own index.
    const dones: BatchDone[] = Array.from({ length: vus }, (_, vu) => (err, outcome) => ended(vu, err, outcome));
    if (vus <= 0 || conns.length === 0) return resolve({ succeeded: 0, failed: 0, elapsedMs: 0 });
    for (let vu = 0; vu < vus; vu++) send(vu, started);
  });
}
