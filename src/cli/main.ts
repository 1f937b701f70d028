#!/usr/bin/env node
// The `stackprobe` executable.
import { main } from './program.js';

const code = await main(process.argv);
// Let stdout drain, then exit: a lingering socket must not keep a finished run alive.
process.stdout.write('', () => process.exit(code));
