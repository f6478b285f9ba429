import { Injectable } from '@nestjs/common';
import { ApplicationsService } from '../applications/applications.service';
import { AuthUser, isStaff } from '../auth/auth-user';
import { Forbidden, NotFound, ValidationFailed } from '../common/problem';
import { FormNumber, OfficialForm, renderOfficialForm } from '../pdf/forms';
import {
  DossierFacts,
  form01,
  form02,
  form03,
  form04,
  form05,
  form06,
  handoverOf,
  receiptEntry,
} from './official-forms';
import { FormsRepository } from './forms.repository';

export interface FormFile {
  content: Buffer;
  fileName: string;
}

const BUILDERS: Record<Exclude<FormNumber, '06'>, (f: DossierFacts) => OfficialForm | null> = {
  '01': form01,
  '02': form02,
  '03': form03,
  '04': form04,
  '05': form05,
};

/**
 * The notification events that announce a form (the workflow action keys of the demo workflows and the apology
 * event): their email carries the form's PDF.
 */
export const FORM_OF_EVENT: Readonly<Record<string, Exclude<FormNumber, '06'>>> = {
  receive: '01',
  request_supplement: '02',
  ask_to_complete: '02',
  refuse: '03',
  apology: '04',
};

const DAY_MS = 86_400_000;
const VN_OFFSET_MS = 7 * 3_600_000;

/** The official forms of Circular 01/2018 (src/forms/official-forms.ts), as PDFs. */
@Injectable()
export class FormsService {
  constructor(
    private readonly repo: FormsRepository,
    private readonly applications: ApplicationsService,
  ) {}

  /**
   * Forms 01-05 of a dossier the caller may see (else 404), or 404 while the form does not apply. The agency
   * working a transferred step reads form 05 only (the others carry the applicant's contact data); the counter that
   * received the dossier for another agency of the province reads forms 01 and 05.
   */
  async forDossier(user: AuthUser, dossierId: string, form: FormNumber): Promise<FormFile> {
    if (form === '05') await this.applications.find(user, dossierId);
    else if (form === '01') await this.applications.findReceipt(user, dossierId);
    else await this.applications.findWithPersonalData(user, dossierId);
    const file = await this.render(dossierId, form);
    if (!file) throw new NotFound('form');
    return file;
  }

  /** The form's PDF, whoever asks (the worker attaching it to a message); null while it does not apply. */
  async render(dossierId: string, form: FormNumber): Promise<FormFile | null> {
    if (form === '06') return null;
    const dossier = await this.repo.dossier(dossierId);
    if (!dossier) return null;
    const history = await this.repo.history(dossierId);
    const receipt = receiptEntry(history);
    const handovers = history.map(handoverOf).filter((o) => o !== undefined);
    const [papers, apology, agencyNames] = await Promise.all([
      // Papers filed at the counter or by post are scanned right after receipt: the form counts them as scanned so far.
      receipt
        ? this.repo.documents(dossierId, dossier.channel === 'online' ? new Date(receipt.at) : new Date())
        : Promise.resolve([]),
      form === '04' ? this.repo.latestApology(dossierId) : Promise.resolve(undefined),
      form === '05' ? this.repo.agencyNames([...new Set(handovers.flatMap((o) => [o.from, o.to]))]) : {},
    ]);
    const built = BUILDERS[form]({ dossier, history, papers, apology, agencyNames });
    if (!built) return null;
    return { content: await renderOfficialForm(built), fileName: fileName(form, dossier.code ?? dossier.id) };
  }

  /** The form a notification event announces, rendered; null when the event announces none. */
  forEvent(dossierId: string, event: string): Promise<FormFile | null> {
    const form = FORM_OF_EVENT[event];
    return form ? this.render(dossierId, form) : Promise.resolve(null);
  }

  /**
   * Form 06: the register of the caller's agency (an admin names the agency) for the local days [from, to].
   */
  async trackingLog(user: AuthUser, from: string, to: string, agencyCode?: string): Promise<FormFile> {
    let agency: { id: string; name: string; code: string } | undefined;
    if (user.role === 'admin') {
      if (!agencyCode)
        throw new ValidationFailed([{ field: 'agencyCode', message: 'an administrator names the agency' }]);
      agency = await this.repo.agencyByCode(agencyCode);
    } else if (isStaff(user) && user.agencyId) {
      agency = await this.repo.agency(user.agencyId);
      if (agency && agencyCode && agencyCode !== agency.code) throw new NotFound('agency');
    } else {
      throw new Forbidden();
    }
    if (!agency) throw new NotFound('agency');
    const fromDay = new Date(`${from}T00:00:00Z`);
    const toDay = new Date(`${to}T00:00:00Z`);
    if (Number.isNaN(fromDay.getTime())) throw new ValidationFailed([{ field: 'from', message: 'not a date' }]);
    if (Number.isNaN(toDay.getTime())) throw new ValidationFailed([{ field: 'to', message: 'not a date' }]);
    if (toDay < fromDay) throw new ValidationFailed([{ field: 'to', message: 'must not be before from' }]);
    if (toDay.getTime() - fromDay.getTime() > 366 * DAY_MS) {
      throw new ValidationFailed([{ field: 'to', message: 'the period is at most 366 days' }]);
    }
    // Local (Vietnam) days: [from 00:00, to + 1 day 00:00) in UTC+7.
    const start = new Date(fromDay.getTime() - VN_OFFSET_MS);
    const end = new Date(toDay.getTime() + DAY_MS - VN_OFFSET_MS);
    const rows = await this.repo.register(agency.id, start, end);
    const built = form06({ agency, fromDay: start, toDay: new Date(end.getTime() - 1), end, rows });
    return { content: await renderOfficialForm(built), fileName: `mau-06-so-theo-doi-${from}-${to}.pdf` };
  }
}

function fileName(form: FormNumber, reference: string): string {
  return `mau-${form}-${reference.replace(/[^\w.-]+/g, '-')}.pdf`;
}
