import { InitialSchema1763870000000 } from './1763870000000-initial-schema';
import { Payments1763880000000 } from './1763880000000-payments';
import { Delivery1763890000000 } from './1763890000000-delivery';
import { PaymentInFlight1763900000000 } from './1763900000000-payment-in-flight';
import { Accounts1764000100000 } from './1764000100000-accounts';
import { WebSessions1764000500000 } from './1764000500000-web-sessions';
import { HistoryAttachments1764000600000 } from './1764000600000-history-attachments';
import { Signing1764200100000 } from './1764200100000-signing';

/** Every migration, in order. Listed explicitly so builds and tests load the same set. */
export const migrations = [
  InitialSchema1763870000000,
  Payments1763880000000,
  Delivery1763890000000,
  PaymentInFlight1763900000000,
  Accounts1764000100000,
  WebSessions1764000500000,
  HistoryAttachments1764000600000,
  Signing1764200100000,
];
