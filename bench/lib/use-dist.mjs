// `node --import tsx --import ./bench/lib/use-dist.mjs bench/run.ts`: the bench's own TypeScript runs through tsx, the
// product's modules load from dist/ (npm run bench builds it first). See dist-hooks.mjs.
import { register } from 'node:module';

register('./dist-hooks.mjs', import.meta.url);
