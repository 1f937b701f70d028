// Turns zod issues into one line per problem that names the field and what was expected, e.g.
// `config.thresholds.query_time_ms: expected a positive number, got "fast"`.
import type { z } from 'zod';
import { nearest } from '../util/closest.js';
import { redactText } from '../util/redact.js';
import { knownKeysAt } from './known-keys.js';

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function pathOf(path: PropertyKey[]): string {
  let out = 'config';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]{0,79}$/.test(part)) out += `.${part}`;
    // A hostile key is shown escaped (JSON) and clipped: it may hold escape sequences or be a megabyte long.
    else out += `[${JSON.stringify(clip(String(part)))}]`;
  }
  return out;
}

function shown(input: unknown): string {
  if (input === undefined) return 'nothing';
  const text = typeof input === 'string' ? JSON.stringify(input) : JSON.stringify(input) ?? String(input);
  const clipped = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return redactText(clipped);
}

export function formatIssue(issue: z.core.$ZodIssue): string {
  const where = pathOf(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    return issue.keys
      .map((k) => {
        const guess = nearest(k, known);
        return `${pathOf([...issue.path, k])}: unknown key${guess ? `; did you mean ${JSON.stringify(guess)}?` : ' (not part of the config schema; see `stackprobe config schema`)'}`;
      })
      .join('\n');
  }
  if (issue.code === 'invalid_value') {
    return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${shown(issue.input)}`;
  }
  let expected: string;
  if (issue.message.startsWith('expected')) expected = issue.message;
  else if (issue.code === 'invalid_type') expected = `expected ${issue.expected}`;
  else expected = `expected ${issue.message.replace(/^Invalid input:?\s*/i, '') || 'a valid value'}`;
  return `${where}: ${expected}, got ${shown(issue.input)}`;
}

export function formatIssues(issues: z.core.$ZodIssue[]): string {
  return issues.map(formatIssue).join('\n');
}
