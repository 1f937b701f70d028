// The password exchanges a PostgreSQL server can ask for: cleartext, md5 and SCRAM-SHA-256 (with SASLprep, RFC 4013).
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import saslprep from '@mongodb-js/saslprep';
import { PgWireError } from './errors.js';
import { cstr, int32, message } from './messages.js';

/** A failed or refused authentication exchange: SQLSTATE 28000, the connection is not used. */
export function authFailure(message: string): PgWireError {
  return new PgWireError({ code: '28000', severity: 'FATAL', message });
}

export function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5').update(password + user).digest('hex');
  return `md5${createHash('md5').update(Buffer.concat([Buffer.from(inner), salt])).digest('hex')}`;
}

/**
 * The password as the server hashed it: PostgreSQL applies SASLprep and, when the password is not valid for it
 * (prohibited or unassigned characters), uses the raw bytes instead (src/common/saslprep.c). So do we.
 */
export function preparePassword(password: string): string {
  try {
    return saslprep(password);
  } catch (err) {
    void err; // not SASLprep-able: the server used the password as it is, and so must we
    return password;
  }
}

/**
 * SCRAM-SHA-256 (RFC 5802/7677) without channel binding: the client side of PostgreSQL's default password method.
 * Its steps are taken in order, once each: initial, continue, verify. Only a verified server signature proves the
 * server knows the password (an impostor in the middle does not), so AuthenticationOk is accepted only after it
 * (`verified`), as libpq does.
 */
export class Scram {
  private readonly nonce = randomBytes(18).toString('base64');
  private readonly firstBare = `n=*,r=${this.nonce}`;
  private serverSignature: Buffer | undefined;
  private step: 'initial' | 'continue' | 'final' | 'verified' = 'initial';

  get verified(): boolean {
    return this.step === 'verified';
  }

  constructor(private readonly password: string) {}

  /** SASLInitialResponse naming the mechanism; refuses a server that offers only mechanisms we do not speak. */
  initial(mechanisms: string[]): Buffer {
    if (this.step !== 'initial') throw authFailure('SCRAM: the server started SASL authentication twice');
    if (!mechanisms.includes('SCRAM-SHA-256')) throw authFailure(`the server offers SASL mechanisms ${mechanisms.join(', ')}, none of which is SCRAM-SHA-256`);
    this.step = 'continue';
    const data = Buffer.from(`n,,${this.firstBare}`);
    return message(0x70, Buffer.concat([cstr('SCRAM-SHA-256'), int32(data.length), data]));
  }

  /** The answer to the server's first message (`r=…,s=…,i=…`). */
  continue(serverFirst: string): Buffer {
    if (this.step !== 'continue') throw authFailure('SCRAM: the server sent SASLContinue out of order');
    this.step = 'final';
    const attrs = new Map(serverFirst.split(',').map((kv) => [kv[0]!, kv.slice(2)]));
    const nonce = attrs.get('r') ?? '';
    const iterations = Number(attrs.get('i'));
    if (!nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) throw authFailure('SCRAM: the server nonce does not extend ours');
    if (!Number.isInteger(iterations) || iterations < 1) throw authFailure('SCRAM: the server sent no iteration count');
    if (!attrs.get('s')) throw authFailure('SCRAM: the server sent no salt');
    const salted = pbkdf2Sync(preparePassword(this.password), Buffer.from(attrs.get('s')!, 'base64'), iterations, 32, 'sha256');
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    const storedKey = createHash('sha256').update(clientKey).digest();
    const finalBare = `c=biws,r=${nonce}`;
    const auth = `${this.firstBare},${serverFirst},${finalBare}`;
    const signature = createHmac('sha256', storedKey).update(auth).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    const serverKey = createHmac('sha256', salted).update('Server Key').digest();
    this.serverSignature = createHmac('sha256', serverKey).update(auth).digest();
    return message(0x70, Buffer.from(`${finalBare},p=${proof.toString('base64')}`));
  }

  /** Checks the server's proof that it knows the password too (a server that does not is an impostor). */
  verify(serverFinal: string): void {
    if (this.step !== 'final' || !this.serverSignature) throw authFailure('SCRAM: the server sent SASLFinal out of order');
    const failed = /(?:^|,)e=([^,]+)/.exec(serverFinal.trim())?.[1];
    if (failed) throw authFailure(`SCRAM: the server reports ${failed}`);
    const v = /(?:^|,)v=([^,]+)/.exec(serverFinal.trim())?.[1];
    const got = Buffer.from(v ?? '', 'base64');
    if (got.length !== this.serverSignature.length || !timingSafeEqual(got, this.serverSignature)) {
      throw authFailure('SCRAM: the server signature does not match (the server does not know the password: an impostor, or a proxy in the middle); stackprobe refused the connection');
    }
    this.step = 'verified';
  }

  /** Called at AuthenticationOk: refuses a server that skipped SASLFinal, since only it proves the server's identity. */
  checkDone(): void {
    if (!this.verified) {
      throw authFailure('SCRAM: the server sent AuthenticationOk without a verified server signature (SASLFinal skipped: the server has not proved it knows the password); stackprobe refused the connection');
    }
  }
}
