import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ApplicationsService } from '../applications/applications.service';
import type { DossierView } from '../applications/dossier.view';
import { AccountsRepository } from '../auth/accounts.repository';
import type { AuthUser } from '../auth/auth-user';
import { hashPassword } from '../auth/passwords';
import { ValidationFailed } from '../common/problem';
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
  ) {}

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
