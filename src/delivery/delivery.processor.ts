import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { DeadlinesService } from '../applications/deadlines.service';
import { DossierTriggers } from '../applications/triggers';
import { JobDataByName, JobName, QUEUES, upsertSchedules, workerOptions } from '../jobs/jobs';
import { CompletingWorkerHost, JobDone, OutboxCompletion } from '../outbox/completion';
import { PostalService } from './postal/postal.service';
import { ResultsService } from './results.service';

type DeliveryJob =
  | Job<JobDataByName['issue-result'], unknown, 'issue-result'>
  | Job<JobDataByName['create-shipment'], unknown, 'create-shipment'>
  | Job<JobDataByName['shipment-delivered'], unknown, 'shipment-delivered'>
  | Job<JobDataByName['shipment-returned'], unknown, 'shipment-returned'>
  | Job<JobDataByName['deadline-sweep'], unknown, 'deadline-sweep'>;

@Processor(QUEUES.delivery, workerOptions(4))
/**
 * Delivery jobs. Each marks its outbox row done in the transaction that writes its effect (`done`): the stored
 * result, the shipment, the dossier's move on a tracking event.
 */
export class DeliveryProcessor extends CompletingWorkerHost implements OnApplicationBootstrap {
  static readonly queue = QUEUES.delivery;
  static readonly handles: JobName[] = [
    'issue-result',
    'create-shipment',
    'shipment-delivered',
    'shipment-returned',
    'deadline-sweep',
  ];

  private readonly logger = new Logger(DeliveryProcessor.name);

  constructor(
    private readonly results: ResultsService,
    private readonly postal: PostalService,
    private readonly deadlines: DeadlinesService,
    private readonly triggers: DossierTriggers,
    @InjectQueue(QUEUES.delivery) private readonly queue: Queue,
    completion: OutboxCompletion,
  ) {
    super(completion);
  }

  /** Job schedulers are upserted at start: safe on every deploy and every replica. */
  onApplicationBootstrap(): Promise<void> {
    return upsertSchedules(this.queue, (m) => this.logger.warn(m));
  }

  protected async handle(job: DeliveryJob, done: JobDone): Promise<unknown> {
    switch (job.name) {
      case 'issue-result':
        return { outcome: await this.results.complete(job.data.resultId, done) };
      case 'create-shipment':
        return this.postal.createShipment(job.data.dossierId, done);
      case 'shipment-delivered':
        return {
          moved: await this.triggers.fire(
            'shipment.delivered',
            job.data.dossierId,
            { shipmentId: job.data.shipmentId },
            done,
          ),
        };
      case 'shipment-returned':
        return {
          moved: await this.triggers.fire(
            'shipment.returned',
            job.data.dossierId,
            { shipmentId: job.data.shipmentId },
            done,
          ),
        };
      case 'deadline-sweep':
        return this.deadlines.sweep();
      default: {
        const never: never = job;
        throw new UnrecoverableError(`unknown job ${(never as Job).name}`);
      }
    }
  }
}
