// Facts about the client host and the tool, recorded in run.json so results can be compared fairly.
import os from 'node:os';
import type { Environment, TargetFacts } from './model.js';
import { TOOL_VERSION } from '../version.js';

export function environment(targets: Record<string, TargetFacts>, unavailable: Record<string, string>, unopened: Record<string, string> = {}): Environment {
  const cpus = os.cpus();
  return {
    tool: { name: 'stackprobe', version: TOOL_VERSION },
    client: {
      hostname: os.hostname(),
      platform: os.platform(),
      arch: os.arch(),
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      memoryBytes: os.totalmem(),
      node: process.version,
    },
    targets,
    unavailable,
    unopened,
  };
}
