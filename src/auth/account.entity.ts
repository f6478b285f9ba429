import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AccountRole } from '../workflow/definition';

@Entity('accounts')
export class Account {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'citext' }) email: string;
  @Column({ type: 'text', nullable: true }) phone: string | null;
  @Column({ name: 'password_hash', select: false }) passwordHash: string;
  @Column({ name: 'full_name' }) fullName: string;
  @Column({ name: 'id_number', type: 'text', nullable: true }) idNumber: string | null;
  @Column({ type: 'text' }) role: AccountRole;
  @Column({ name: 'agency_id', type: 'uuid', nullable: true }) agencyId: string | null;
  @Column({ type: 'text' }) locale: 'vi' | 'en';
  /** Unverified until national eID sign-in or a clerk confirms it; only a verified one is unique. */
  @Column({ name: 'id_number_verified', type: 'boolean' }) idNumberVerified: boolean;
  /** A disabled account cannot sign in, refresh, or use a token it holds. */
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true }) disabledAt: Date | null;
  /** In every token (`ver`); bumped to revoke them all (password change or reset, sign out everywhere, disable). */
  @Column({ name: 'token_version', type: 'int' }) tokenVersion: number;
  @Column({ name: 'last_sign_in_at', type: 'timestamptz', nullable: true }) lastSignInAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
