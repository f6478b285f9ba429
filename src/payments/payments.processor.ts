import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { DossierTriggers } from '../applications/triggers';
import { JobDataByName, JobName, QUEUES, upsertSchedules, workerOptions } from '../jobs/jobs';
import { CompletingWorkerHost, JobDone, OutboxCompletion } from '../outbox/completion';
import { PaymentsService } from './payments.service';

type PaymentJob =
  | Job<JobDataByName['payment-succeeded'], unknown, 'payment-succeeded'>
  | Job<JobDataByName['payment-expired'], unknown, 'payment-expired'>
  | Job<JobDataByName['refund'], unknown, 'refund'>
  | Job<JobDataByName['check-attempt'], unknown, 'check-attempt'>
  | Job<JobDataByName['reconcile-payments'], unknown, 'reconcile-payments'>;

@Processor(QUEUES.payments, workerOptions(4))
/**
 * Payment jobs. Those that write their effect to Postgres mark their outbox row done in that transaction (`done`):
 * the trigger's state change, the refund asked for a payment that came after its dossier closed, a refund's outcome.
 */
export class PaymentsProcessor extends CompletingWorkerHost implements OnApplicationBootstrap {
  static readonly queue = QUEUES.payments;
  static readonly handles: JobName[] = [
    'payment-succeeded',
    'payment-expired',
    'refund',
    'check-attempt',
    'reconcile-payments',
  ];

  private readonly logger = new Logger(PaymentsProcessor.name);

  constructor(
    private readonly payments: PaymentsService,
    private readonly triggers: DossierTriggers,
    @InjectQueue(QUEUES.payments) private readonly queue: Queue,
    completion: OutboxCompletion,
  ) {
    super(completion);
  }

  /** Job schedulers are upserted at start: safe on every deploy and every replica. */
  onApplicationBootstrap(): Promise<void> {
    return upsertSchedules(this.queue, (m) => this.logger.warn(m));
  }

  protected async handle(job: PaymentJob, done: JobDone): Promise<unknown> {
    switch (job.name) {
      case 'payment-succeeded': {
        const { dossierId, attemptId } = job.data;
        const moved = await this.triggers.fire('payment.succeeded', dossierId, { attemptId }, done);
        // A payment confirmed after its dossier was closed (withdrawn while paying) is given back.
        if (!moved)
          await this.triggers.ifClosed(dossierId, async (m) => {
            await this.payments.requestRefund(m, dossierId, true, 'payment confirmed after the dossier was closed');
            await done(m);
          });
        return { moved };
      }
      case 'payment-expired': {
        const { dossierId, attemptId } = job.data;
        return { moved: await this.triggers.fire('payment.expired', dossierId, { attemptId }, done) };
      }
      case 'refund': {
        const outcome = await this.payments.processRefund(job.data.refundId, done);
        if (outcome === 'retry') throw new Error('the provider did not settle the refund yet');
        return { outcome };
      }
      case 'check-attempt':
        return { outcome: await this.payments.checkAttempt(job.data.attemptId) };
      case 'reconcile-payments':
        return this.payments.reconcile();
      default: {
        const never: never = job;
        throw new UnrecoverableError(`unknown job ${(never as Job).name}`);
      }
    }
  }
}
