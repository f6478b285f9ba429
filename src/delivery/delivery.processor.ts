import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { DeadlinesService } from '../applications/deadlines.service';
import { DossierTriggers } from '../applications/triggers';
import { JobDataByName, JobName, QUEUES, upsertSchedules } from '../jobs/jobs';
import { PostalService } from './postal/postal.service';
import { ResultsService } from './results.service';

type DeliveryJob =
  | Job<JobDataByName['issue-result'], unknown, 'issue-result'>
  | Job<JobDataByName['create-shipment'], unknown, 'create-shipment'>
  | Job<JobDataByName['shipment-delivered'], unknown, 'shipment-delivered'>
  | Job<JobDataByName['shipment-returned'], unknown, 'shipment-returned'>
  | Job<JobDataByName['deadline-sweep'], unknown, 'deadline-sweep'>;

@Processor(QUEUES.delivery, { concurrency: 4 })
export class DeliveryProcessor extends WorkerHost implements OnApplicationBootstrap {
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
  ) {
    super();
  }

  /** Job schedulers are upserted at start: safe on every deploy and every replica. */
  onApplicationBootstrap(): Promise<void> {
    return upsertSchedules(this.queue, (m) => this.logger.warn(m));
  }

  async process(job: DeliveryJob): Promise<unknown> {
    switch (job.name) {
      case 'issue-result':
        return { outcome: await this.results.complete(job.data.resultId) };
      case 'create-shipment':
        return this.postal.createShipment(job.data.dossierId);
      case 'shipment-delivered':
        return {
          moved: await this.triggers.fire('shipment.delivered', job.data.dossierId, {
            shipmentId: job.data.shipmentId,
          }),
        };
      case 'shipment-returned':
        return {
          moved: await this.triggers.fire('shipment.returned', job.data.dossierId, { shipmentId: job.data.shipmentId }),
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
