import { InitialSchema1763870000000 } from './1763870000000-initial-schema';
import { Payments1763880000000 } from './1763880000000-payments';
import { Delivery1763890000000 } from './1763890000000-delivery';
import { PaymentInFlight1763900000000 } from './1763900000000-payment-in-flight';
import { Accounts1764000100000 } from './1764000100000-accounts';
import { WebSessions1764000500000 } from './1764000500000-web-sessions';
import { HistoryAttachments1764000600000 } from './1764000600000-history-attachments';
import { StaffMfa1764100100000 } from './1764100100000-staff-mfa';
import { Eid1764100000000 } from './1764100000000-eid';
import { DocumentNumbers1764200000000 } from './1764200000000-document-numbers';
import { Signing1764200100000 } from './1764200100000-signing';
import { Transfer1764300300000 } from './1764300300000-transfer';
import { Counter1764300200000 } from './1764300200000-counter';
import { ProvinceCounter1764300400000 } from './1764300400000-province-counter';
import { SupplementRules1764300000000 } from './1764300000000-supplement-rules';
import { SignersAndCalendars1764300100000 } from './1764300100000-signers-and-calendars';
import { RequestId1764300500000 } from './1764300500000-request-id';
import { OutboxDone1764300600000 } from './1764300600000-outbox-done';

/** Every migration, in order. Listed explicitly so builds and tests load the same set. */
export const migrations = [
  InitialSchema1763870000000,
  Payments1763880000000,
  Delivery1763890000000,
  PaymentInFlight1763900000000,
  Accounts1764000100000,
  WebSessions1764000500000,
  HistoryAttachments1764000600000,
  Eid1764100000000,
  StaffMfa1764100100000,
  DocumentNumbers1764200000000,
  Signing1764200100000,
  SupplementRules1764300000000,
  SignersAndCalendars1764300100000,
  Counter1764300200000,
  Transfer1764300300000,
  ProvinceCounter1764300400000,
  RequestId1764300500000,
  OutboxDone1764300600000,
];
