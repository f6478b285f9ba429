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
  @Column({ name: 'failed_logins', type: 'int' }) failedLogins: number;
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true }) lockedUntil: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
