import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccountsRepository, AccountStatus, ClerkLoad, StaffListEntry } from '../auth/accounts.repository';
import type { AuthUser } from '../auth/auth-user';
import { AuthService } from '../auth/auth.service';
import { MfaService } from '../auth/mfa.service';
import { hashPassword } from '../auth/passwords';
import { Conflict, NotFound, ValidationFailed } from '../common/problem';
import { AGENCY_DEFAULT_CALENDAR, validateCalendar, WorkCalendar } from '../workflow/calendar';
import { AgenciesRepository } from './agencies.repository';
import { Agency } from './agency.entity';
import { CalendarChanges } from './calendar-changes';
import { CreateAgencyDto, CreateStaffDto, UpdateAgencyDto } from './dto';

@Injectable()
export class AgenciesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly agencies: AgenciesRepository,
    private readonly accounts: AccountsRepository,
    private readonly auth: AuthService,
    private readonly mfa: MfaService,
    private readonly calendarChanges: CalendarChanges,
  ) {}

  list(): Promise<Agency[]> {
    return this.agencies.list();
  }

  async create(dto: CreateAgencyDto): Promise<Agency> {
    const calendar = checkedCalendar(dto.calendar);
    const id = await this.agencies.insert(dto.code, dto.name, calendar);
    if (!id) throw new Conflict(`An agency with code ${dto.code} already exists.`, 'agency-exists');
    return this.agencies.findById(id);
  }

  /**
   * Saves the name or calendar. A changed calendar recomputes the due dates of the agency's open dossiers in the
   * same transaction (rule 10), each recorded in the dossier's history as done by `actor`.
   */
  async update(code: string, dto: UpdateAgencyDto, actor: { id: string; role: string } | null = null): Promise<Agency> {
    const agency = await this.agencies.findByCode(code);
    if (!agency) throw new NotFound('agency');
    const before = agency.calendar;
    if (dto.name !== undefined) agency.name = dto.name;
    // A partial calendar changes only what it names: the rest stays as the agency has it.
    if (dto.calendar !== undefined) agency.calendar = checkedCalendar(dto.calendar, agency.calendar);
    if (JSON.stringify(before) === JSON.stringify(agency.calendar)) return this.agencies.save(agency);
    return this.db.transaction(async (m) => {
      const saved = await this.agencies.save(agency, m);
      await this.calendarChanges.apply(m, {
        agencyId: agency.id,
        before,
        after: agency.calendar,
        actor,
        at: new Date(),
      });
      return saved;
    });
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
      const agency = await this.agencies.findByCode(dto.agencyCode);
      if (!agency) throw new ValidationFailed([{ field: 'agencyCode', message: 'no agency has this code' }]);
      agencyId = agency.id;
    } else if (dto.agencyCode) {
      throw new ValidationFailed([{ field: 'agencyCode', message: 'admins are not attached to an agency' }]);
    }
    const created = await this.accounts.insertStaff({
      email: dto.email.toLowerCase(),
      phone: dto.phone ?? null,
      passwordHash: await hashPassword(dto.password),
      fullName: dto.fullName ?? dto.email,
      role: dto.role,
      agencyId,
      title: dto.title ?? null,
    });
    if (!created) throw new Conflict('An account with this email or phone already exists.', 'account-exists');
    return { id: created.id, email: dto.email.toLowerCase(), role: dto.role, agencyCode: dto.agencyCode ?? null };
  }

  /** The agency's active clerks with their open and overdue assigned dossiers (the supervisor's assignment page). */
  clerkLoads(agencyId: string): Promise<ClerkLoad[]> {
    return this.accounts.clerkLoads(agencyId);
  }

  listStaff(agencyCode?: string): Promise<StaffListEntry[]> {
    return this.accounts.listStaff(agencyCode);
  }

  /**
   * Disables an account (staff or citizen) and ends its sessions in the same transaction: its refresh tokens
   * are revoked and its access tokens fail their next check. Disabling a disabled account changes nothing.
   * An admin cannot disable their own account (409): someone must be left to enable it.
   */
  async disableAccount(admin: AuthUser, id: string): Promise<AccountStatus> {
    if (id === admin.id) throw new Conflict('You cannot disable your own account.', 'own-account');
    return this.db.transaction(async (m) => {
      const row = await this.accounts.disable(m, id, admin.id);
      if (!row) throw new NotFound('account');
      await this.auth.revokeSessions(m, id);
      return row;
    });
  }

  async enableAccount(id: string): Promise<AccountStatus> {
    const row = await this.accounts.enable(id);
    if (!row) throw new NotFound('account');
    return row;
  }

  /**
   * Resets a staff member's second factor: the secret and recovery codes go, the action is recorded in
   * `account_events` (who, what, when) and every session and token of the member ends, in one transaction. The
   * member sets up a new second factor at the next sign-in. 404 for a citizen or an unknown account.
   */
  async resetStaffMfa(admin: AuthUser, id: string): Promise<void> {
    await this.db.transaction(async (m) => {
      await this.mfa.reset(m, id, admin.id);
      await this.auth.revokeSessions(m, id);
    });
  }

  /** Mails a staff member (clerk, supervisor, admin) a reset link; 404 for a citizen, 409 for a disabled account. */
  async resetStaffPassword(admin: AuthUser, id: string): Promise<{ id: string; email: string; expiresAt: Date }> {
    return this.db.transaction(async (m) => {
      const account = await this.accounts.staffForUpdate(m, id);
      if (!account) throw new NotFound('account');
      if (account.disabled_at) throw new Conflict('The account is disabled; enable it first.', 'account-disabled');
      const { expiresAt } = await this.auth.requestReset(m, id, admin.id);
      return { id, email: account.email, expiresAt };
    });
  }
}

function checkedCalendar(
  input: Record<string, unknown> | undefined,
  base: WorkCalendar = AGENCY_DEFAULT_CALENDAR,
): WorkCalendar {
  const calendar = { ...base, ...(input ?? {}) };
  const problems = validateCalendar(calendar);
  if (problems.length) throw new ValidationFailed(problems.map((message) => ({ field: 'calendar', message })));
  return calendar;
}
