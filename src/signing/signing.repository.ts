import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { selectOne } from '../database/query-result';
import type { KeyAndCertificate } from './demo-ca';

/** Development demo keys (signing_keys) and the agencies that need one. */
@Injectable()
export class SigningRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The stored key of `subject` ('ca' or an agency code). */
  async key(subject: string): Promise<KeyAndCertificate | undefined> {
    return selectOne<KeyAndCertificate>(
      this.db.manager,
      `SELECT key_pem AS "keyPem", cert_pem AS "certPem" FROM signing_keys WHERE subject = $1`,
      [subject],
    );
  }

  /** Keeps `key` unless another process stored one first; returns the one kept (every replica uses the same). */
  async keep(subject: string, key: KeyAndCertificate): Promise<KeyAndCertificate> {
    await this.db.query(
      `INSERT INTO signing_keys (subject, key_pem, cert_pem) VALUES ($1, $2, $3) ON CONFLICT (subject) DO NOTHING`,
      [subject, key.keyPem, key.certPem],
    );
    return (await this.key(subject))!;
  }

  async agencyName(code: string): Promise<string | undefined> {
    return (await selectOne<{ name: string }>(this.db.manager, `SELECT name FROM agencies WHERE code = $1`, [code]))
      ?.name;
  }

  /** Every agency (each may issue results and receipts): production needs a key for each. */
  agencies(): Promise<{ code: string; name: string }[]> {
    return this.db.query(`SELECT code, name FROM agencies ORDER BY code`);
  }
}
