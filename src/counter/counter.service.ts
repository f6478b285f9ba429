import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ApplicationsService } from '../applications/applications.service';
import type { DossierView } from '../applications/dossier.view';
import { AccountsRepository } from '../auth/accounts.repository';
import { type AuthUser, isStaff } from '../auth/auth-user';
import { hashPassword } from '../auth/passwords';
import { Forbidden, ValidationFailed } from '../common/problem';
import { AgenciesRepository } from '../agencies/agencies.repository';
import { ProceduresService } from '../procedures/procedures.service';
import type { ProcedureView } from '../procedures/dto';
import type { CounterApplicationDto } from './dto';

/**
 * Counter intake (issue 13): a clerk files a dossier for a walk-in citizen, or records papers received by post.
 * The citizen is found by their verified ID number or an account is made for them (no password anyone knows;
 * they sign in with eID later, or set a password by a reset); the dossier is created, submitted and received in
 * one transaction (ApplicationsService.fileAtCounter). The clerk then scans the papers with the upload route.
 */
@Injectable()
export class CounterService {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly accounts: AccountsRepository,
    private readonly procedures: ProceduresService,
    private readonly agencies: AgenciesRepository,
  ) {}

  /**
   * The procedures this clerk's counter receives: their agency's, then the other agencies' of the province; with
   * the code of the clerk's agency (the others' dossiers are routed to them).
   */
  async receivable(clerk: AuthUser): Promise<{ agencyCode: string; procedures: ProcedureView[] }> {
    if (!isStaff(clerk) || !clerk.agencyId) throw new Forbidden();
    const [agencyCode, procedures] = await Promise.all([
      this.agencies.codeOf(clerk.agencyId),
      this.procedures.counterCatalog(clerk.agencyId),
    ]);
    if (!agencyCode) throw new Forbidden();
    return { agencyCode, procedures };
  }

  /** The code and name of the clerk's agency. */
  async agency(clerk: AuthUser): Promise<{ code: string; name: string }> {
    const agency = clerk.agencyId ? await this.agencies.codeAndNameOf(clerk.agencyId) : undefined;
    if (!isStaff(clerk) || !agency) throw new Forbidden();
    return agency;
  }

  /** The name of the agency with this code (a dossier names agencies by code); undefined when there is none. */
  async agencyName(code: string): Promise<string | undefined> {
    return (await this.agencies.findByCode(code))?.name;
  }

  /** The name on the citizen account a filing with this ID number goes to; undefined: a new account is made. */
  async citizenName(clerk: AuthUser, idNumber: string): Promise<string | undefined> {
    if (!isStaff(clerk)) throw new Forbidden();
    return this.accounts.counterCitizenName(idNumber);
  }

  async file(clerk: AuthUser, dto: CounterApplicationDto): Promise<DossierView> {
    const a = dto.applicant;
    const passwordHash = await hashPassword(randomBytes(32).toString('base64url'));
    return this.applications.fileAtCounter(
      clerk,
      {
        procedureCode: dto.procedureCode,
        formData: dto.formData,
        delivery: dto.delivery,
        channel: dto.channel ?? 'counter',
        applicantAddress: a.address?.trim(),
      },
      async (m) => {
        const found = await this.accounts.findOrCreateCounterCitizen(m, {
          idNumber: a.idNumber,
          fullName: a.fullName.trim(),
          phone: a.phone ?? null,
          email: a.email?.toLowerCase() ?? null,
          passwordHash,
        });
        if ('staff' in found) {
          throw new ValidationFailed([
            { field: 'applicant.idNumber', message: 'this ID number belongs to a staff account' },
          ]);
        }
        return found.id;
      },
    );
  }
}
