// What opening a target yields: the target, or why it is not there (and whether that is a failure or just unconfigured).
import type { TargetFacts } from '../result/model.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { redactText } from '../util/redact.js';

export interface Opened<T> {
  target?: T;
  /** Why there is no target, e.g. `REDIS_URL not set` or a redacted connection error. */
  reason?: string;
  /** True when the service was configured (or started) but could not be used: its checks fail instead of skipping. */
  broken?: boolean;
  facts?: TargetFacts;
  /** Closes the target and stops anything private started for it. */
  close?: () => Promise<void>;
}

interface Closable {
  readonly facts: TargetFacts;
  close(): Promise<void>;
}

/** A target that opened, closed together with the private server stackprobe started for it (if any). */
export function openedTarget<T extends Closable>(target: T, privateServer: { stop(): Promise<void> } | undefined, onStopped: () => void): Opened<T> {
  return {
    target,
    facts: target.facts,
    close: async () => {
      try {
        await target.close();
      } finally {
        if (privateServer) {
          await privateServer.stop();
          onStopped();
        }
      }
    },
  };
}

/** A target that could not be opened: stop the private server started for it and say why, credentials removed. */
export async function failedTarget(err: unknown, privateServer: { stop(): Promise<void> } | undefined, log: Logger, what: string): Promise<Opened<never>> {
  await privateServer?.stop();
  const reason = redactText(describeError(err));
  log.warn({ reason }, `${what} unavailable`);
  return { reason, broken: true };
}
