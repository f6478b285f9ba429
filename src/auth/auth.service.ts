import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Conflict, TooManyRequests, Unauthorized } from '../common/problem';
import type { AppConfig } from '../config/configuration';
import { Account } from './account.entity';
import type { AuthUser } from './auth-user';
import { LoginDto, normalizePhone, RegisterDto, TokensDto } from './dto';
import { dummyHash, hashPassword, verifyPassword } from './passwords';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly jwt: JwtService,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async register(dto: RegisterDto): Promise<{ id: string; email: string; fullName: string }> {
    const hash = await hashPassword(dto.password);
    const rows: { id: string }[] = await this.db.query(
      `INSERT INTO accounts (email, phone, password_hash, full_name, id_number, role, locale)
       VALUES ($1, $2, $3, $4, $5, 'citizen', $6)
       ON CONFLICT DO NOTHING RETURNING id`,
      [dto.email.trim().toLowerCase(), dto.phone, hash, dto.fullName.trim(), dto.idNumber, dto.locale ?? 'vi'],
    );
    // One message whichever of email, phone or ID number is taken: no account enumeration by field.
    if (rows.length === 0) throw new Conflict('An account with these details already exists.', 'account-exists');
    return { id: rows[0].id, email: dto.email.trim().toLowerCase(), fullName: dto.fullName.trim() };
  }

  async login(dto: LoginDto): Promise<TokensDto> {
    const login = normalizePhone(dto.email.trim().toLowerCase());
    const account = await this.db
      .getRepository(Account)
      .createQueryBuilder('a')
      .addSelect('a.passwordHash')
      .where('a.email = :login OR a.phone = :login', { login })
      .getOne();
    if (!account) {
      await verifyPassword(await dummyHash(), dto.password);
      throw new Unauthorized('The email/phone or password is not correct.');
    }
    // The attempt is counted before the password is checked, in one statement that also refuses a locked
    // account: concurrent guesses serialise on the row, so no more than LOGIN_MAX_FAILURES get checked.
    if (!(await this.reserveAttempt(account.id))) {
      const [{ locked_until }] = await this.db.query(`SELECT locked_until FROM accounts WHERE id = $1`, [account.id]);
      const wait = Math.max(1, Math.ceil((new Date(locked_until).getTime() - Date.now()) / 1000));
      throw new TooManyRequests('Too many failed sign-in attempts; the account is locked for a while.', wait);
    }
    if (!(await verifyPassword(account.passwordHash, dto.password))) {
      throw new Unauthorized('The email/phone or password is not correct.');
    }
    await this.db.query(`UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1`, [account.id]);
    return this.issueTokens(this.db.manager, { id: account.id, role: account.role, agencyId: account.agencyId }, randomUUID());
  }

  /** Rotating refresh tokens: each is single-use; presenting a used one revokes its whole family. */
  async refresh(token: string): Promise<TokensDto> {
    const reused = await this.db.transaction(async (m) => {
      const rows: { id: string; family_id: string; account_id: string; expires_at: Date; used_at: Date | null; revoked_at: Date | null }[] =
        await m.query(`SELECT id, family_id, account_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, [sha256(token)]);
      const row = rows[0];
      if (!row || row.revoked_at || row.expires_at < new Date()) throw new Unauthorized('The refresh token is not valid.');
      if (row.used_at) {
        await m.query(`UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [row.family_id]);
        return true;
      }
      await m.query(`UPDATE refresh_tokens SET used_at = now() WHERE id = $1`, [row.id]);
      const account = await m.getRepository(Account).findOneBy({ id: row.account_id });
      if (!account) throw new Unauthorized('The refresh token is not valid.');
      return this.issueTokens(m, { id: account.id, role: account.role, agencyId: account.agencyId }, row.family_id);
    });
    if (reused === true) throw new Unauthorized('The refresh token was already used; every session of this sign-in is revoked.');
    return reused;
  }

  async logout(token: string): Promise<void> {
    await this.db.query(
      `UPDATE refresh_tokens SET revoked_at = now()
        WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`,
      [sha256(token)],
    );
  }

  /** Counts a sign-in attempt unless the account is locked; locks it when this attempt reaches the limit. */
  private async reserveAttempt(accountId: string): Promise<boolean> {
    const max = this.config.get('LOGIN_MAX_FAILURES', { infer: true });
    const lockSeconds = this.config.get('LOGIN_LOCK_SECONDS', { infer: true });
    // TypeORM answers an UPDATE with [rows, rowCount].
    const [rows]: [{ id: string }[], number] = await this.db.query(
      `UPDATE accounts SET failed_logins = failed_logins + 1,
              locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE NULL END
        WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now())
        RETURNING id`,
      [accountId, max, lockSeconds],
    );
    return rows.length > 0;
  }

  private async issueTokens(m: EntityManager, user: AuthUser, familyId: string): Promise<TokensDto> {
    const ttl = this.config.get('JWT_ACCESS_TTL_SECONDS', { infer: true });
    const accessToken = await this.jwt.signAsync(
      { sub: user.id, role: user.role, agency: user.agencyId, typ: 'access' },
      { expiresIn: ttl, algorithm: 'HS256' },
    );
    const refreshToken = randomBytes(32).toString('base64url');
    await m.query(
      `INSERT INTO refresh_tokens (account_id, family_id, token_hash, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [user.id, familyId, sha256(refreshToken), this.config.get('JWT_REFRESH_TTL_SECONDS', { infer: true })],
    );
    return { accessToken, refreshToken, expiresIn: ttl, role: user.role };
  }
}
