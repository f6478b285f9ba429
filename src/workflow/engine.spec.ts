import type { WorkflowDefinition } from './definition';
import {
  ActionForbiddenError,
  InvalidTransitionError,
  MissingRequirementError,
  UnknownActionError,
  UnknownStateError,
  WorkflowError,
} from './errors';
import { STANDARD_WORKFLOW } from './examples';
import {
  actionOf,
  availableActions,
  canEdit,
  findState,
  isTerminal,
  findingOf,
  isApprovalAction,
  missingRequirements,
  planTransition,
  startStateOf,
  stateOf,
  submitActionFor,
  systemActionFor,
} from './engine';
import { assertValidWorkflow } from './validate';

const def: WorkflowDefinition = assertValidWorkflow(STANDARD_WORKFLOW);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('availableActions', () => {
  it('lists what the citizen may do on a draft', () => {
    expect(availableActions(def, 'draft', 'citizen')).toEqual(['submit']);
  });

  it('lists nothing for a clerk on a draft', () => {
    expect(availableActions(def, 'draft', 'clerk')).toEqual([]);
  });

  it('lists the clerk actions on a submitted dossier in definition order', () => {
    expect(availableActions(def, 'submitted', 'clerk')).toEqual([
      'request_completion',
      'refuse',
      'receive',
      'request_payment',
    ]);
  });

  it('lists withdraw for the citizen on a submitted dossier', () => {
    expect(availableActions(def, 'submitted', 'citizen')).toEqual(['withdraw']);
  });

  it('lists approve and reject for a supervisor in processing', () => {
    expect(availableActions(def, 'processing', 'supervisor')).toEqual(['approve', 'reject']);
  });

  it('hides system actions from humans', () => {
    expect(availableActions(def, 'awaiting_payment', 'citizen')).toEqual(['withdraw']);
    expect(availableActions(def, 'awaiting_payment', 'clerk')).toEqual([]);
    expect(availableActions(def, 'in_transit', 'clerk')).toEqual([]);
  });

  it('lists system actions for the system role', () => {
    expect(availableActions(def, 'in_transit', 'system')).toEqual(['shipment_delivered', 'shipment_returned']);
    expect(availableActions(def, 'awaiting_payment', 'system')).toEqual(['payment_received']);
  });

  it('lists nothing from a terminal state', () => {
    expect(availableActions(def, 'completed', 'clerk')).toEqual([]);
    expect(availableActions(def, 'completed', 'system')).toEqual([]);
  });

  it('lists nothing for an unknown state', () => {
    expect(availableActions(def, 'limbo', 'clerk')).toEqual([]);
  });

  it('lists nothing for admin, who takes no action in this workflow', () => {
    expect(availableActions(def, 'processing', 'admin')).toEqual([]);
  });
});

describe('planTransition', () => {
  it('plans the submit transition', () => {
    const plan = planTransition(def, 'draft', 'submit', 'citizen', {});
    expect(plan.action.key).toBe('submit');
    expect(plan.from.key).toBe('draft');
    expect(plan.to.key).toBe('submitted');
    expect(plan.effects).toEqual([]);
  });

  it('returns the action effects, as a copy', () => {
    const plan = planTransition(def, 'submitted', 'receive', 'clerk');
    expect(plan.effects).toEqual(['startClock', 'issueReceipt']);
    plan.effects.push('refund');
    expect(actionOf(def, 'receive')!.effects).toEqual(['startClock', 'issueReceipt']);
  });

  it('plans an action leaving one of several from states', () => {
    const plan = planTransition(def, 'returned_to_sender', 'dispatch', 'clerk');
    expect([plan.from.key, plan.to.key, plan.effects]).toEqual([
      'returned_to_sender',
      'in_transit',
      ['dispatchByPost'],
    ]);
  });

  it('lets the system take a triggered action', () => {
    const plan = planTransition(def, 'awaiting_payment', 'payment_received', 'system');
    expect(plan.to.key).toBe('processing');
    expect(plan.effects).toEqual(['startClock', 'issueReceipt']);
  });

  it('throws UnknownActionError for an action not in the workflow', () => {
    const e = thrown(() => planTransition(def, 'processing', 'teleport', 'clerk'));
    expect(e).toBeInstanceOf(UnknownActionError);
    expect(e).toBeInstanceOf(WorkflowError);
    expect(e).toMatchObject({ code: 'unknown_action', actionKey: 'teleport', message: 'Unknown action "teleport"' });
  });

  it('throws InvalidTransitionError for an action that does not leave the state', () => {
    const e = thrown(() => planTransition(def, 'draft', 'approve', 'clerk'));
    expect(e).toBeInstanceOf(InvalidTransitionError);
    expect(e).toMatchObject({ code: 'invalid_transition', actionKey: 'approve', fromState: 'draft' });
  });

  it('throws InvalidTransitionError from a terminal state', () => {
    const e = thrown(() => planTransition(def, 'completed', 'withdraw', 'citizen'));
    expect(e).toMatchObject({ code: 'invalid_transition', actionKey: 'withdraw', fromState: 'completed' });
  });

  it('throws InvalidTransitionError before ActionForbiddenError when both apply', () => {
    const e = thrown(() => planTransition(def, 'draft', 'approve', 'citizen'));
    expect(e).toBeInstanceOf(InvalidTransitionError);
  });

  it('throws ActionForbiddenError for a role not in by', () => {
    const e = thrown(() => planTransition(def, 'processing', 'approve', 'citizen'));
    expect(e).toBeInstanceOf(ActionForbiddenError);
    expect(e).toMatchObject({ code: 'action_forbidden', actionKey: 'approve', role: 'citizen' });
  });

  it('forbids a human from taking a system action', () => {
    const e = thrown(() => planTransition(def, 'awaiting_payment', 'payment_received', 'clerk'));
    expect(e).toMatchObject({ code: 'action_forbidden', role: 'clerk' });
  });

  it('forbids the citizen from submitting on behalf of a clerk and vice versa', () => {
    expect(thrown(() => planTransition(def, 'draft', 'submit', 'clerk'))).toBeInstanceOf(ActionForbiddenError);
  });

  it('throws MissingRequirementError when a required comment is absent', () => {
    const e = thrown(() => planTransition(def, 'processing', 'request_supplement', 'clerk', {}));
    expect(e).toBeInstanceOf(MissingRequirementError);
    expect(e).toMatchObject({ code: 'missing_requirement', actionKey: 'request_supplement', missing: ['comment'] });
  });

  it('throws MissingRequirementError when the comment is null', () => {
    const e = thrown(() => planTransition(def, 'processing', 'reject', 'clerk', { comment: null }));
    expect(e).toMatchObject({ missing: ['comment'] });
  });

  it('throws MissingRequirementError when the comment is blank', () => {
    const e = thrown(() => planTransition(def, 'submitted', 'refuse', 'clerk', { comment: '  \n\t ' }));
    expect(e).toMatchObject({ missing: ['comment'] });
  });

  it('accepts a non-blank comment', () => {
    const plan = planTransition(def, 'submitted', 'refuse', 'clerk', { comment: ' Thiếu bản sao CCCD ' });
    expect(plan.to.key).toBe('refused');
  });

  it('throws MissingRequirementError when attachments are required and none given', () => {
    const e = thrown(() => planTransition(def, 'approved', 'issue_result', 'clerk', { attachmentCount: 0 }));
    expect(e).toMatchObject({ code: 'missing_requirement', missing: ['attachments'] });
    expect(thrown(() => planTransition(def, 'approved', 'issue_result', 'clerk'))).toMatchObject({
      missing: ['attachments'],
    });
  });

  it('accepts one attachment', () => {
    const plan = planTransition(def, 'approved', 'issue_result', 'clerk', { attachmentCount: 1 });
    expect(plan.effects).toEqual(['issueResult']);
  });

  it('lists every missing requirement', () => {
    const both: WorkflowDefinition = {
      states: def.states,
      actions: def.actions.map((a) => (a.key === 'reject' ? { ...a, requires: ['comment', 'attachments'] } : a)),
    };
    const e = thrown(() => planTransition(both, 'processing', 'reject', 'clerk', { comment: '', attachmentCount: 0 }));
    expect(e).toMatchObject({
      missing: ['comment', 'attachments'],
      message: 'Action "reject" requires: comment, attachments',
    });
  });

  it('throws UnknownStateError when the definition is broken', () => {
    const broken: WorkflowDefinition = {
      states: [{ key: 'draft', start: true }],
      actions: [{ key: 'submit', from: ['draft'], to: 'ghost', by: ['citizen'] }],
    };
    expect(thrown(() => planTransition(broken, 'draft', 'submit', 'citizen'))).toMatchObject({
      code: 'unknown_state',
      stateKey: 'ghost',
    });
  });
});

describe('missingRequirements', () => {
  it('is empty for an action without requirements', () => {
    expect(missingRequirements(actionOf(def, 'approve')!, {})).toEqual([]);
  });
});

describe('systemActionFor', () => {
  it('finds the action for a trigger from a state', () => {
    expect(systemActionFor(def, 'awaiting_payment', 'payment.succeeded')?.key).toBe('payment_received');
    expect(systemActionFor(def, 'in_transit', 'shipment.returned')?.key).toBe('shipment_returned');
  });

  it('returns undefined when the trigger has no action from that state', () => {
    expect(systemActionFor(def, 'processing', 'payment.succeeded')).toBeUndefined();
    expect(systemActionFor(def, 'awaiting_payment', 'payment.expired')).toBeUndefined();
  });
});

describe('canEdit, stateOf, findState, isTerminal, startStateOf', () => {
  it('lets the citizen edit a draft and a supplement, not a submitted dossier', () => {
    expect(canEdit(def, 'draft', 'citizen')).toBe(true);
    expect(canEdit(def, 'supplement_requested', 'citizen')).toBe(true);
    expect(canEdit(def, 'submitted', 'citizen')).toBe(false);
  });

  it('lets the clerk edit while processing, not a draft', () => {
    expect(canEdit(def, 'processing', 'clerk')).toBe(true);
    expect(canEdit(def, 'draft', 'clerk')).toBe(false);
  });

  it('is false for an unknown state', () => {
    expect(canEdit(def, 'ghost', 'citizen')).toBe(false);
  });

  it('finds states by key', () => {
    expect(stateOf(def, 'processing')).toEqual({
      key: 'processing',
      clock: 'running',
      editableBy: ['clerk'],
      label: 'Processing',
    });
    expect(findState(def, 'processing')?.clock).toBe('running');
    expect(findState(def, 'ghost')).toBeUndefined();
    expect(thrown(() => stateOf(def, 'ghost'))).toMatchObject({ code: 'unknown_state', stateKey: 'ghost' });
  });

  it('knows terminal states', () => {
    expect(isTerminal(def, 'withdrawn')).toBe(true);
    expect(isTerminal(def, 'processing')).toBe(false);
    expect(isTerminal(def, 'ghost')).toBe(false);
  });

  it('finds the start state', () => {
    expect(startStateOf(def).key).toBe('draft');
    expect(thrown(() => startStateOf({ states: [{ key: 'a' }], actions: [] }))).toBeInstanceOf(UnknownStateError);
  });
});

describe('submitActionFor: what POST /applications/:id/submit takes', () => {
  const base = (supplement: Record<string, unknown>, actions: Record<string, unknown>[]) =>
    assertValidWorkflow({
      states: [
        { key: 'draft', start: true, editableBy: ['citizen'] },
        { key: 'processing', clock: 'running' },
        { key: 'supplement', clock: 'paused', editableBy: ['citizen'], ...supplement },
        { key: 'done', terminal: true },
        { key: 'withdrawn', terminal: true },
      ],
      actions: [
        { key: 'submit', from: ['draft'], to: 'processing', by: ['citizen'] },
        { key: 'ask', from: ['processing'], to: 'supplement', by: ['clerk'] },
        { key: 'finish', from: ['processing'], to: 'done', by: ['clerk'] },
        ...actions,
      ],
    });
  const withdrawFirst = [
    { key: 'withdraw', from: ['supplement'], to: 'withdrawn', by: ['citizen'] },
    { key: 'send_supplement', from: ['supplement'], to: 'processing', by: ['citizen'] },
  ];

  it('takes submit from the start state', () => {
    expect(submitActionFor(base({}, withdrawFirst), 'draft')?.key).toBe('submit');
  });

  it('takes the action the state marks as its resubmit, not the citizen action listed first', () => {
    expect(submitActionFor(base({ resubmit: 'send_supplement' }, withdrawFirst), 'supplement')?.key).toBe(
      'send_supplement',
    );
  });

  it('without a marking: the action keyed resubmit, or the only citizen action that does not end the dossier', () => {
    const keyed = [
      { key: 'withdraw', from: ['supplement'], to: 'withdrawn', by: ['citizen'] },
      { key: 'correct', from: ['supplement'], to: 'supplement', by: ['citizen'] },
      { key: 'resubmit', from: ['supplement'], to: 'processing', by: ['citizen'] },
    ];
    expect(submitActionFor(base({}, keyed), 'supplement')?.key).toBe('resubmit');
    expect(submitActionFor(base({}, withdrawFirst), 'supplement')?.key).toBe('send_supplement');
  });

  it('never withdraws: a state whose only citizen action ends the dossier, or a staff state, has none', () => {
    const onlyWithdraw = [
      { key: 'withdraw', from: ['supplement'], to: 'withdrawn', by: ['citizen'] },
      { key: 'resume', from: ['supplement'], to: 'processing', by: ['clerk'] },
    ];
    expect(submitActionFor(base({}, onlyWithdraw), 'supplement')).toBeUndefined();
    expect(submitActionFor(base({}, withdrawFirst), 'processing')).toBeUndefined();
  });
});

describe('approvals and findings (rule 9)', () => {
  const approve = { key: 'approve', from: ['processing'], to: 'approved', by: ['supervisor' as const] };
  const sign = { ...approve, key: 'sign', requires: ['finding' as const] };

  it('the approve action, or one requiring a finding, is an approval; others are not', () => {
    expect(isApprovalAction(approve)).toBe(true);
    expect(isApprovalAction(sign)).toBe(true);
    expect(isApprovalAction({ ...approve, key: 'complete' })).toBe(false);
  });

  it('a finding is met by data.finding or, failing that, the comment; blanks do not count', () => {
    expect(missingRequirements(sign, {})).toEqual(['finding']);
    expect(missingRequirements(sign, { finding: '  ' })).toEqual(['finding']);
    expect(missingRequirements(sign, { finding: 42 })).toEqual(['finding']);
    expect(missingRequirements(sign, { finding: 'Không có án tích.' })).toEqual([]);
    expect(missingRequirements(sign, { comment: 'Không có án tích.' })).toEqual([]);
    expect(findingOf({ finding: ' Có án tích ', comment: 'x' })).toBe('Có án tích');
    expect(findingOf({ comment: '' })).toBeUndefined();
  });
});
