// Parses an allowed-regression margin as users write it: `10%`, `0.1`, or `10` (a number above 1 is a percentage).
import { ConfigError } from '../util/errors.js';

export function parseMargin(input: string | number, where: string): number {
  const text = String(input).trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  const n = pct ? Number(pct[1]) / 100 : /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n)) throw new ConfigError(`${where}: expected a margin like 10% or 0.1, got ${JSON.stringify(input)}`);
  const ratio = !pct && n > 1 ? n / 100 : n;
  if (ratio < 0 || ratio > 100) throw new ConfigError(`${where}: expected a margin between 0% and 10000%, got ${JSON.stringify(input)}`);
  return ratio;
}

export function formatMargin(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(4))}%`;
}
