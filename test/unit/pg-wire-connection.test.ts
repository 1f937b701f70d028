// The measuring connection against a scripted server on 127.0.0.1: every authentication path (cleartext, md5, SCRAM,
// SCRAM whose server skips SASLFinal or signs wrongly), recorded traffic replayed in pieces, malformed, refused and
// unsolicited messages, and a seeded fuzz of mutated replies — each a connection error value, never a thrown exception.
import { afterEach, describe, expect, it } from 'vitest';
import { md5Password } from '../../src/targets/pg/wire/auth.js';
import { WireConnection } from '../../src/targets/pg/wire/connection.js';
import { PgWireError } from '../../src/targets/pg/wire/errors.js';
import { bindText, EXECUTE, SYNC } from '../../src/targets/pg/wire/messages.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';
import type { ErrorFields } from '../../src/targets/pg/wire/backend.js';
import { auth, LOGGED_IN, msg, READY, scramServer, startFakeServer, type FakeServer, type Peer } from '../helpers/pg-fake-server.js';
import { CONVERSATION, ROWS_9 } from '../helpers/pg-wire-conversation.js';
import { REPLIES } from '../helpers/pg-wire-replies.js';

const reply = (i: number) => Buffer.from(REPLIES[i]!, 'base64');
const PASSWORD = 'fake-Secret-9';

let server: FakeServer | undefined;
afterEach(async () => {
  const failures = server?.failures ?? [];
  await server?.stop();
  server = undefined;
  expect(failures).toEqual([]);
});

const open = (url: string) => WireConnection.connect(wireOptions(url, { connectTimeoutMs: 3000 }));
const execute = (name: string, params: Array<string | null>) => Buffer.concat([bindText(name, params), EXECUTE, SYNC]);

/** A login with a password method: `check` sees the client's answer and decides. */
async function passwordLogin(peer: Peer, request: Buffer, expected: string): Promise<boolean> {
  await peer.next(); // startup
  peer.send(request);
  const answer = await peer.next();
  if (answer?.body.toString('utf8', 0, answer.body.length - 1) === expected) {
    peer.send(LOGGED_IN);
    return true;
  }
  // As a server does: the FATAL, then the connection closes (when the script returns).
  peer.send(msg('E', 'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "fake"\0\0'));
  return false;
}

/** After a login, answers each exchange with `answer(i)` until the client leaves. */
async function serve(peer: Peer, answer: (i: number) => Buffer | undefined): Promise<void> {
  for (let i = 0; await peer.exchange(); i++) {
    const bytes = answer(i);
    if (!bytes) return;
    peer.send(bytes);
  }
}

const EXPECTED_SELECT = ['1'];
const selectOne = Buffer.concat([msg('2'), msg('D', Buffer.from([0, 1, 0, 0, 0, 1, 0x31])), msg('C', 'SELECT 1\0'), READY]);

describe('authentication against a scripted server', () => {
  it('cleartext and md5 send what the method asks, and a wrong password is the server\'s 28P01', async () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    for (const [request, expected] of [[auth(3), PASSWORD], [auth(5, salt), md5Password('fake', PASSWORD, salt)]] as const) {
      server = await startFakeServer(async (peer) => {
        if (await passwordLogin(peer, request, expected)) await serve(peer, () => selectOne);
      });
      const conn = await open(server.url('fake', PASSWORD));
      expect(await conn.query(execute('s', []))).toEqual([EXPECTED_SELECT]);
      await conn.close();
      await expect(open(server.url('fake', 'wrong'))).rejects.toMatchObject({ code: '28P01', message: expect.stringMatching(/password authentication failed/) });
      await server.stop();
      server = undefined;
    }
  });

  it('SCRAM-SHA-256: logs in when the server proves the password; refuses a skipped SASLFinal and a wrong server signature', async () => {
    let mode: 'good' | 'skip' | 'wrong' = 'good';
    const outcomes: string[] = [];
    server = await startFakeServer(async (peer) => {
      await peer.next();
      outcomes.push(await scramServer(peer, PASSWORD, mode));
      await serve(peer, () => selectOne);
    });
    const conn = await open(server.url('fake', PASSWORD));
    expect(await conn.query(execute('s', []))).toEqual([EXPECTED_SELECT]);
    await conn.close();

    mode = 'skip';
    await expect(open(server.url('fake', PASSWORD))).rejects.toMatchObject({ code: '28000', message: expect.stringMatching(/AuthenticationOk without a verified server signature/) });
    mode = 'wrong';
    await expect(open(server.url('fake', PASSWORD))).rejects.toMatchObject({ code: '28000', message: expect.stringMatching(/server signature does not match/) });
    // The client's proof was right each time: the refusals are the client's, on the server's missing or wrong proof.
    expect(outcomes).toEqual(['ok', 'ok', 'ok']);
  });

  it('a SASL outcome without SASL started, or an unknown method, fails the login with 28000', async () => {
    for (const request of [auth(12, 'v=AAAA'), auth(7)]) {
      server = await startFakeServer(async (peer) => {
        await peer.next();
        peer.send(request);
        peer.send(LOGGED_IN);
      });
      await expect(open(server.url('fake', PASSWORD))).rejects.toMatchObject({ code: '28000' });
      await server.stop();
      server = undefined;
    }
  });
});

/** Plays the recorded conversation: each reply in `pieces(i)` writes (cut points), and returns the outcomes. */
async function replay(pieces: (i: number, bytes: Buffer) => number[]) {
  server = await startFakeServer(async (peer) => {
    await peer.next(); // startup
    await peer.sendInPieces(reply(0), pieces(0, reply(0)));
    for (let i = 1; i < CONVERSATION.length && (await peer.exchange()); i++) await peer.sendInPieces(reply(i), pieces(i, reply(i)));
  });
  const conn = await open(server.url());
  const notices: ErrorFields[] = [];
  conn.onNotice = (n) => notices.push(n);
  try {
    await conn.prepare('rows', 'SELECT …');
    const rows = await conn.query(execute('rows', ['9']));
    await conn.prepare('div', 'SELECT …');
    const error = await conn.run(execute('div', ['0'])).catch((e: unknown) => e as PgWireError);
    for (const step of CONVERSATION.slice(5)) await conn.simpleQuery(step.kind === 'simple' ? step.sql : '');
    return { rows, error, notices, applicationName: conn.parameters.get('application_name'), pid: conn.pid };
  } finally {
    await conn.close();
  }
}

describe('recorded traffic replayed', () => {
  const expected = {
    rows: ROWS_9,
    error: expect.objectContaining({ code: '22012', message: 'division by zero' }),
    notices: [expect.objectContaining({ severity: 'NOTICE', message: 'hello wire' })],
    applicationName: 'recorded',
    pid: expect.any(Number),
  };

  it('reads rows, errors, notices (surfaced), parameter changes, empty queries and RowDescription as sent', async () => {
    expect(await replay(() => [])).toEqual(expected);
  });

  it('reads the same when each reply arrives in pieces (seeded cuts, several reads)', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      let x = seed * 7919;
      const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
      expect(await replay((_, bytes) => Array.from({ length: 3 }, () => Math.floor(next() * bytes.length)).sort((a, b) => a - b))).toEqual(expected);
      await server?.stop();
      server = undefined;
    }
  });
});

describe('malformed, refused and unsolicited messages', () => {
  async function outcome(answer: Buffer | ((peer: Peer) => Promise<void>)): Promise<{ error: PgWireError | undefined; lost: PgWireError | undefined; told: PgWireError[] }> {
    server = await startFakeServer(async (peer) => {
      await peer.next();
      peer.send(LOGGED_IN);
      if (!(await peer.exchange())) return;
      if (Buffer.isBuffer(answer)) peer.send(answer);
      else await answer(peer);
      await peer.exchange(); // hold the connection open until the client leaves: the client must end it itself
    });
    const conn = await open(server.url());
    const told: PgWireError[] = [];
    conn.onLost = (e) => told.push(e);
    const error = await conn.run(execute('s', [])).then(() => undefined, (e: unknown) => e as PgWireError);
    const lost = conn.lost;
    await conn.close();
    await server.stop();
    server = undefined;
    return { error, lost, told };
  }

  it('a DataRow shorter than its column count, split across two reads, fails the request with 08P01 and closes the session', async () => {
    const short = msg('D', Buffer.from([0, 3, 0, 0, 0, 1, 0x61, 0, 0, 0, 1, 0x62]));
    const r = await outcome(async (peer) => {
      peer.send(msg('2'));
      await peer.sendInPieces(Buffer.concat([short, msg('C', 'SELECT 1\0'), READY]), [7]);
    });
    // Rows are decoded only when asked: the plain request does not parse the row and ends normally...
    expect(r.error).toBeUndefined();
    // ...while a request that decodes it fails it.
    server = await startFakeServer(async (peer) => {
      await peer.next();
      peer.send(LOGGED_IN);
      await peer.exchange();
      peer.send(msg('2'));
      await peer.sendInPieces(Buffer.concat([short, msg('C', 'SELECT 1\0'), READY]), [7]);
      await peer.exchange();
    });
    const conn = await open(server.url());
    const err = await conn.query(execute('s', [])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PgWireError);
    expect(err).toMatchObject({ code: '08P01', message: expect.stringMatching(/DataRow announces 3 columns and ends after 2/) });
    await expect(conn.run(execute('s', []))).rejects.toMatchObject({ code: '08P01' });
    await conn.close();
  });

  it('lengths out of bounds fail the request with 08P01', async () => {
    const bad = Buffer.from([0x5a, 0xff, 0xff, 0xff, 0xff, 0x49]);
    expect((await outcome(bad)).error).toMatchObject({ code: '08P01', message: expect.stringMatching(/length|claims/) });
    expect((await outcome(Buffer.from([0x32, 0, 0, 0, 2]))).error).toMatchObject({ code: '08P01', message: expect.stringMatching(/less than the 4 bytes/) });
  });

  it('COPY is refused with its reason; an unknown type and a FunctionCallResponse are protocol violations', async () => {
    const copy = await outcome(Buffer.concat([msg('2'), msg('H', Buffer.from([0, 0, 1, 0, 0]))]));
    expect(copy.error).toMatchObject({ code: '0A000', message: expect.stringMatching(/COPY, which stackprobe does not run/) });
    expect(copy.lost).toBeDefined();
    expect((await outcome(msg('?'))).error).toMatchObject({ code: '08P01', message: expect.stringMatching(/unknown message type '\?'/) });
    expect((await outcome(msg('V', Buffer.from([0, 0, 0, 0])))).error).toMatchObject({ code: '08P01', message: expect.stringMatching(/FunctionCallResponse/) });
  });

  it('a reply with no request in flight closes the connection and tells onLost', async () => {
    server = await startFakeServer(async (peer) => {
      await peer.next();
      peer.send(Buffer.concat([LOGGED_IN]));
      await new Promise((resolve) => setTimeout(resolve, 20));
      peer.send(READY);
      await peer.exchange();
    });
    const conn = await open(server.url());
    const told = await new Promise<PgWireError>((resolve) => (conn.onLost = resolve));
    expect(told).toMatchObject({ code: '08P01', message: expect.stringMatching(/'Z' with no request in flight/) });
    await conn.close();
  });

  it('a caller\'s callback that throws ends its connection with a lost-session error, not the process', async () => {
    server = await startFakeServer(async (peer) => {
      await peer.next();
      peer.send(LOGGED_IN);
      await serve(peer, () => selectOne);
    });
    const conn = await open(server.url());
    const told = new Promise<PgWireError>((resolve) => (conn.onLost = resolve));
    conn.send(execute('s', []), () => {
      throw new Error('a bug in the caller');
    });
    expect(await told).toMatchObject({ code: '08006', message: expect.stringMatching(/a reply could not be handled \(a bug in the caller\)/) });
    await conn.close();
  });

  it('NOTIFY and notices in the middle of a request are not taken for its reply', async () => {
    const r = await outcome(Buffer.concat([msg('A', Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from('chan\0payload\0')])), msg('N', 'SNOTICE\0VNOTICE\0C00000\0Mhi\0\0'), selectOne]));
    expect(r.error).toBeUndefined();
    expect(r.lost).toBeUndefined();
  });
});

describe('fuzz over a live connection', () => {
  it('seeded mutations of recorded replies, sent in pieces: every request ends in a result or a PgWireError, nothing thrown', async () => {
    const seen = new Map<string, number>();
    let mutated: Buffer = Buffer.alloc(0);
    let cuts: number[] = [];
    let startup = false;
    server = await startFakeServer(async (peer) => {
      await peer.next();
      if (startup) await peer.sendInPieces(mutated, cuts);
      else {
        peer.send(reply(0));
        if (!(await peer.exchange())) return;
        await peer.sendInPieces(mutated, cuts);
      }
      // The end of the stream: a length that swallowed the rest ends as a lost connection, never as a hang.
    });
    for (let seed = 1; seed <= 400; seed++) {
      let x = seed * 2654435761;
      const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296);
      startup = seed % 4 === 0;
      const source = startup ? reply(0) : Buffer.concat([reply(2), reply(4)]);
      mutated = Buffer.from(source);
      for (let k = 1 + Math.floor(next() * 3); k > 0; k--) mutated[Math.floor(next() * mutated.length)] = Math.floor(next() * 256);
      cuts = Array.from({ length: Math.floor(next() * 3) }, () => Math.floor(next() * mutated.length)).sort((a, b) => a - b);
      let outcome: string;
      try {
        const conn = await open(server.url());
        try {
          await conn.query(execute('rows', ['9']));
          outcome = 'ok';
        } finally {
          await conn.close();
        }
      } catch (err) {
        if (!(err instanceof PgWireError)) throw new Error(`seed ${seed}: ${String(err)}`);
        // A clear error: what went wrong in words, not a RangeError's text passed through.
        if (!err.message || /ERR_OUT_OF_RANGE|RangeError|undefined|NaN/.test(err.message)) throw new Error(`seed ${seed}: unclear error ${err.message}`);
        outcome = err.code;
      }
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
    }
    // Both kinds of end were met: clean reads and refused streams.
    expect(seen.get('08P01') ?? 0).toBeGreaterThan(20);
    expect([...seen.keys()].every((k) => /^(ok|[0-9A-Z]{5})$/.test(k))).toBe(true);
  }, 60_000);
});
