/**
 * A realistic level-4 workflow (domain.md "Lifecycle"), usable as the demo
 * seed's default and as the reference fixture of the unit tests.
 *
 *   draft -submit-> submitted
 *   submitted -request_completion-> incomplete -resubmit-> submitted  (before receipt: no clock)
 *   submitted -refuse-> refused                                        (refusal notice)
 *   submitted -receive-> processing                                    (no fee before receipt)
 *   submitted -request_payment-> awaiting_payment -payment_received-> processing  (fee before receipt)
 *   processing -request_supplement-> supplement_requested -supplement-> processing (clock paused)
 *   processing -approve-> approved -issue_result-> result_issued       (clock stops at the result)
 *   processing -reject-> rejected
 *   result_issued -hand_over-> completed                               (online download / counter)
 *   result_issued -dispatch-> in_transit -shipment_delivered-> completed
 *   in_transit -shipment_returned-> returned_to_sender -dispatch | hand_over-> ...
 *   submitted | incomplete | awaiting_payment | processing | supplement_requested -withdraw-> withdrawn
 */
import type { WorkflowDefinition } from './definition';

export const STANDARD_WORKFLOW: WorkflowDefinition = {
  states: [
    { key: 'draft', start: true, clock: 'stopped', editableBy: ['citizen'], label: 'Draft' },
    { key: 'submitted', clock: 'stopped', label: 'Submitted, awaiting reception' },
    { key: 'incomplete', clock: 'stopped', editableBy: ['citizen'], label: 'Incomplete, to be completed' },
    { key: 'awaiting_payment', clock: 'paused', label: 'Awaiting payment' },
    { key: 'processing', clock: 'running', editableBy: ['clerk'], label: 'Processing' },
    { key: 'supplement_requested', clock: 'paused', editableBy: ['citizen'], label: 'Supplement requested' },
    { key: 'approved', clock: 'running', label: 'Approved' },
    { key: 'result_issued', clock: 'stopped', label: 'Result issued' },
    { key: 'in_transit', clock: 'stopped', label: 'Sent by post' },
    { key: 'returned_to_sender', clock: 'stopped', label: 'Returned to sender' },
    { key: 'completed', terminal: true, label: 'Completed' },
    { key: 'refused', terminal: true, label: 'Refused' },
    { key: 'rejected', terminal: true, label: 'Rejected' },
    { key: 'withdrawn', terminal: true, label: 'Withdrawn' },
  ],
  actions: [
    { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
    { key: 'request_completion', from: ['submitted'], to: 'incomplete', by: ['clerk'], requires: ['comment'] },
    { key: 'resubmit', from: ['incomplete'], to: 'submitted', by: ['citizen'] },
    { key: 'refuse', from: ['submitted'], to: 'refused', by: ['clerk'], requires: ['comment'] },
    {
      key: 'receive',
      from: ['submitted'],
      to: 'processing',
      by: ['clerk'],
      effects: ['startClock', 'issueReceipt'],
    },
    { key: 'request_payment', from: ['submitted'], to: 'awaiting_payment', by: ['clerk'], effects: ['requirePayment'] },
    {
      key: 'payment_received',
      from: ['awaiting_payment'],
      to: 'processing',
      by: ['system'],
      trigger: 'payment.succeeded',
      effects: ['startClock', 'issueReceipt'],
    },
    {
      key: 'request_supplement',
      from: ['processing'],
      to: 'supplement_requested',
      by: ['clerk'],
      requires: ['comment'],
    },
    { key: 'supplement', from: ['supplement_requested'], to: 'processing', by: ['citizen'] },
    { key: 'approve', from: ['processing'], to: 'approved', by: ['clerk', 'supervisor'] },
    { key: 'reject', from: ['processing'], to: 'rejected', by: ['clerk', 'supervisor'], requires: ['comment'] },
    {
      key: 'issue_result',
      from: ['approved'],
      to: 'result_issued',
      by: ['clerk'],
      requires: ['attachments'],
      effects: ['issueResult'],
    },
    { key: 'hand_over', from: ['result_issued', 'returned_to_sender'], to: 'completed', by: ['clerk'] },
    {
      key: 'dispatch',
      from: ['result_issued', 'returned_to_sender'],
      to: 'in_transit',
      by: ['clerk'],
      effects: ['dispatchByPost'],
    },
    {
      key: 'shipment_delivered',
      from: ['in_transit'],
      to: 'completed',
      by: ['system'],
      trigger: 'shipment.delivered',
    },
    {
      key: 'shipment_returned',
      from: ['in_transit'],
      to: 'returned_to_sender',
      by: ['system'],
      trigger: 'shipment.returned',
    },
    {
      key: 'withdraw',
      from: ['submitted', 'incomplete', 'awaiting_payment', 'processing', 'supplement_requested'],
      to: 'withdrawn',
      by: ['citizen'],
    },
  ],
};
