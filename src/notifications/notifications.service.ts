import { Injectable } from '@nestjs/common';
import { DossierMessage, NotificationsRepository } from './notifications.repository';

export type { DossierMessage } from './notifications.repository';

/**
 * Reading the messages sent about a dossier (the clerk's dossier page). The caller has already checked that the
 * dossier is one the user may see (ApplicationsService.find): this module does not know the dossiers' scope.
 */
@Injectable()
export class NotificationsService {
  constructor(private readonly repo: NotificationsRepository) {}

  forDossier(dossierId: string): Promise<DossierMessage[]> {
    return this.repo.forDossier(dossierId);
  }
}
