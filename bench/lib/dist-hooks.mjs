// Module hooks for the bench (registered by use-dist.mjs): every import of the product's src/**/*.ts loads its built
// dist/**/*.js instead, so the bench measures the code users run. Through tsx the source would be esbuild's output with
// keepNames, which wraps each closure the measuring path creates in a __name() call (Object.defineProperty per
// closure): the load's closed loop made 25.7k req/s that way against 28.9k from dist/ (2026-11-30, bench/README.md).
import { URL } from 'node:url';

const SRC = new URL('../../src/', import.meta.url).href;
const DIST = new URL('../../dist/', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith(SRC)) return resolved;
  const url = DIST + resolved.url.slice(SRC.length).replace(/\.ts$/, '.js');
  return { url, format: 'module', shortCircuit: true };
}
