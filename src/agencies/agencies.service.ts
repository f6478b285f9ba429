import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AuthUser } from '../auth/auth-user';
import { AuthService } from '../auth/auth.service';
import { hashPassword } from '../auth/passwords';
import { Conflict, NotFound, ValidationFailed } from '../common/problem';
import { DEFAULT_CALENDAR, validateCalendar, WorkCalendar } from '../workflow/calendar';
import { Agency } from './agency.entity';
import { CreateAgencyDto, CreateStaffDto, UpdateAgencyDto } from './dto';

@Injectable()
export class AgenciesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly auth: AuthService,
  ) {}

  list(): Promise<Agency[]> {
    return this.db.getRepository(Agency).find({ order: { code: 'ASC' } });
  }

  async create(dto: CreateAgencyDto): Promise<Agency> {
    const calendar = checkedCalendar(dto.calendar);
    const rows = await this.db.query(
      `INSERT INTO agencies (code, name, calendar) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING RETURNING id`,
      [dto.code, dto.name, calendar],
    );
    if (!rows[0]) throw new Conflict(`An agency with code ${dto.code} already exists.`);
    return this.db.getRepository(Agency).findOneByOrFail({ id: rows[0].id });
  }

  async update(code: string, dto: UpdateAgencyDto): Promise<Agency> {
    const repo = this.db.getRepository(Agency);
    const agency = await repo.findOneBy({ code });
    if (!agency) throw new NotFound('agency');
    if (dto.name !== undefined) agency.name = dto.name;
    // A partial calendar changes only what it names: the rest stays as the agency has it.
    if (dto.calendar !== undefined) agency.calendar = checkedCalendar(dto.calendar, agency.calendar);
    return repo.save(agency);
  }

  async createStaff(
    dto: CreateStaffDto,
  ): Promise<{ id: string; email: string; role: string; agencyCode: string | null }> {
    let agencyId: string | null = null;
    if (dto.role !== 'admin') {
      if (!dto.agencyCode)
        throw new ValidationFailed([
          { field: 'agencyCode', message: 'agencyCode is required for clerks and supervisors' },
        ]);
      const agency = await this.db.getRepository(Agency).findOneBy({ code: dto.agencyCode });
      if (!agency) throw new ValidationFailed([{ field: 'agencyCode', message: 'no agency has this code' }]);
      agencyId = agency.id;
    } else if (dto.agencyCode) {
      throw new ValidationFailed([{ field: 'agencyCode', message: 'admins are not attached to an agency' }]);
    }
    const rows = await this.db.query(
      `INSERT INTO accounts (email, phone, password_hash, full_name, role, agency_id)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id`,
      [
        dto.email.toLowerCase(),
        dto.phone ?? null,
        await hashPassword(dto.password),
        dto.fullName ?? dto.email,
        dto.role,
        agencyId,
      ],
    );
    if (!rows[0]) throw new Conflict('An account with this email or phone already exists.', 'account-exists');
    return { id: rows[0].id, email: dto.email.toLowerCase(), role: dto.role, agencyCode: dto.agencyCode ?? null };
  }

  async listStaff(agencyCode?: string) {
    return this.db.query(
      `SELECT a.id, a.email, a.full_name AS "fullName", a.role, g.code AS "agencyCode", g.name AS "agencyName",
              a.last_sign_in_at AS "lastSignInAt", a.disabled_at AS "disabledAt"
         FROM accounts a LEFT JOIN agencies g ON g.id = a.agency_id
        WHERE a.role <> 'citizen' AND ($1::text IS NULL OR g.code = $1) ORDER BY g.code, a.email`,
      [agencyCode ?? null],
    );
  }

  /**
   * Disables an account (staff or citizen) and ends its sessions in the same transaction: its refresh tokens
   * are revoked and its access tokens fail their next check. Disabling a disabled account changes nothing.
   * An admin cannot disable their own account (409): someone must be left to enable it.
   */
  async disableAccount(admin: AuthUser, id: string): Promise<AccountStatus> {
    if (id === admin.id) throw new Conflict('You cannot disable your own account.', 'own-account');
    return this.db.transaction(async (m) => {
      const [[row]]: [AccountStatus[], number] = await m.query(
        `UPDATE accounts SET disabled_at = coalesce(disabled_at, now()), disabled_by = coalesce(disabled_by, $2)
          WHERE id = $1 RETURNING ${STATUS_COLUMNS}`,
        [id, admin.id],
      );
      if (!row) throw new NotFound('account');
      await this.auth.revokeSessions(m, id);
      return row;
    });
  }

  async enableAccount(id: string): Promise<AccountStatus> {
    const [[row]]: [AccountStatus[], number] = await this.db.query(
      `UPDATE accounts SET disabled_at = NULL, disabled_by = NULL WHERE id = $1 RETURNING ${STATUS_COLUMNS}`,
      [id],
    );
    if (!row) throw new NotFound('account');
    return row;
  }

  /** Mails a staff member (clerk, supervisor, admin) a reset link; 404 for a citizen, 409 for a disabled account. */
  async resetStaffPassword(admin: AuthUser, id: string): Promise<{ id: string; email: string; expiresAt: Date }> {
    return this.db.transaction(async (m) => {
      const [account]: { id: string; email: string; disabled_at: Date | null }[] = await m.query(
        `SELECT id, email, disabled_at FROM accounts WHERE id = $1 AND role <> 'citizen' FOR UPDATE`,
        [id],
      );
      if (!account) throw new NotFound('account');
      if (account.disabled_at) throw new Conflict('The account is disabled; enable it first.', 'account-disabled');
      const { expiresAt } = await this.auth.requestReset(m, id, admin.id);
      return { id, email: account.email, expiresAt };
    });
  }
}

interface AccountStatus {
  id: string;
  email: string;
  role: string;
  disabledAt: Date | null;
}
const STATUS_COLUMNS = `id, email, role, disabled_at AS "disabledAt"`;

function checkedCalendar(
  input: Record<string, unknown> | undefined,
  base: WorkCalendar = DEFAULT_CALENDAR,
): WorkCalendar {
  const calendar = { ...base, ...(input ?? {}) };
  const problems = validateCalendar(calendar);
  if (problems.length) throw new ValidationFailed(problems.map((message) => ({ field: 'calendar', message })));
  return calendar as WorkCalendar;
}
