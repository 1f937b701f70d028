// Writes test/file-durations.json, the seconds each test file took, from a full run's vitest JSON report:
//   npx vitest run --reporter=default --reporter=json --outputFile=/tmp/vitest.json && node test/update-durations.mjs /tmp/vitest.json
// The sequencer starts files longest first from it (test/sequencer.ts); run it again when files are added or change much.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

const root = path.resolve(import.meta.dirname, '..');
const report = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8'));
// Relative to the checkout that ran (a report from another clone names its own folder).
const relative = (file) => file.slice(file.lastIndexOf('/test/') + 1);
const seconds = report.testResults
  .map((f) => [relative(f.name), Math.round((f.endTime - f.startTime) / 100) / 10])
  .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
writeFileSync(path.join(root, 'test', 'file-durations.json'), `${JSON.stringify(Object.fromEntries(seconds), null, 1)}\n`);
process.stdout.write(`test/file-durations.json: ${seconds.length} files\n`);
