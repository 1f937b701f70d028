// Records a real PostgreSQL server's replies to a fixed client conversation, byte for byte, for the wire reader's
// byte-level tests (test/helpers/pg-wire-traffic.ts). Run: npx tsx test/helpers/record-pg-traffic.ts [url]
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { CONVERSATION, type Step } from './pg-wire-conversation.js';
import { parseMessage, queryMessage, startupMessage, SYNC, bindText, EXECUTE } from '../../src/targets/pg/wire/messages.js';

function clientBytes(step: Step): Buffer {
  switch (step.kind) {
    case 'startup': return startupMessage({ user: step.user, database: step.database, client_encoding: 'UTF8' });
    case 'prepare': return Buffer.concat([parseMessage(step.name, step.sql, []), SYNC]);
    case 'execute': return Buffer.concat([bindText(step.name, step.params), EXECUTE, SYNC]);
    case 'simple': return queryMessage(step.sql);
  }
}

/** Reads until a ReadyForQuery ends the reply. */
async function record(url: string): Promise<Buffer[]> {
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port || 5432) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let got = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  socket.on('data', (d: Buffer) => {
    got = Buffer.concat([got, d]);
    wake?.();
  });
  const replies: Buffer[] = [];
  for (const step of CONVERSATION) {
    socket.write(clientBytes(step));
    for (;;) {
      let at = 0;
      let done = -1;
      while (at + 5 <= got.length) {
        const end = at + 1 + got.readUInt32BE(at + 1);
        if (end > got.length) break;
        if (got[at] === 0x5a) done = end;
        at = end;
      }
      if (done >= 0) {
        replies.push(got.subarray(0, done));
        got = got.subarray(done);
        break;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  socket.end();
  return replies;
}

const replies = await record(process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const lines = replies.map((r, i) => `  // ${CONVERSATION[i]!.kind}\n  '${r.toString('base64')}',`);
writeFileSync(new URL('./pg-wire-replies.ts', import.meta.url), `// Recorded by test/helpers/record-pg-traffic.ts from PostgreSQL 15: the server's reply to each step of CONVERSATION, base64.\nexport const REPLIES: readonly string[] = [\n${lines.join('\n')}\n];\n`);
