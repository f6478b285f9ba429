import { InvalidWorkflowError } from './errors';
import { STANDARD_WORKFLOW } from './examples';
import { assertValidWorkflow, validateWorkflow, WorkflowProblem } from './validate';

type Json = any;

/** A small valid workflow: draft -> submitted -> processing -> done. */
function minimal(): Json {
  return {
    states: [
      { key: 'draft', start: true, editableBy: ['citizen'] },
      { key: 'submitted' },
      { key: 'processing', clock: 'running' },
      { key: 'done', terminal: true },
    ],
    actions: [
      { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
      { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock'] },
      { key: 'finish', from: ['processing'], to: 'done', by: ['clerk'] },
    ],
  };
}

function problemsOf(input: unknown): WorkflowProblem[] {
  const r = validateWorkflow(input);
  if (r.valid) throw new Error('expected the workflow to be invalid');
  return r.problems;
}

/** [path, code] pairs, the concrete assertion most tests make. */
function pairs(input: unknown): [string, string][] {
  return problemsOf(input).map((p) => [p.path, p.code]);
}

describe('validateWorkflow', () => {
  describe('valid definitions', () => {
    it('accepts the minimal workflow and normalises defaults', () => {
      const r = validateWorkflow(minimal());
      expect(r).toEqual({
        valid: true,
        definition: {
          states: [
            { key: 'draft', start: true, clock: 'stopped', editableBy: ['citizen'] },
            { key: 'submitted', clock: 'stopped', editableBy: [] },
            { key: 'processing', clock: 'running', editableBy: [] },
            { key: 'done', terminal: true, clock: 'stopped', editableBy: [] },
          ],
          actions: [
            { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'], requires: [], effects: [] },
            {
              key: 'receive',
              from: ['submitted'],
              to: 'processing',
              by: ['clerk'],
              requires: [],
              effects: ['startClock'],
            },
            { key: 'finish', from: ['processing'], to: 'done', by: ['clerk'], requires: [], effects: [] },
          ],
        },
      });
    });

    it('accepts the realistic standard workflow (14 states, 17 actions)', () => {
      const r = validateWorkflow(STANDARD_WORKFLOW);
      expect(r.valid).toBe(true);
      if (!r.valid) return;
      expect(r.definition.states.map((s) => s.key)).toEqual([
        'draft',
        'submitted',
        'incomplete',
        'awaiting_payment',
        'processing',
        'supplement_requested',
        'approved',
        'result_issued',
        'in_transit',
        'returned_to_sender',
        'completed',
        'refused',
        'rejected',
        'withdrawn',
      ]);
      expect(r.definition.actions).toHaveLength(17);
      expect(r.definition.actions.find((a) => a.key === 'payment_received')).toEqual({
        key: 'payment_received',
        from: ['awaiting_payment'],
        to: 'processing',
        by: ['system'],
        trigger: 'payment.succeeded',
        requires: [],
        effects: ['startClock', 'issueReceipt'],
      });
    });

    it('accepts the example from the design brief once it has a way out of every state', () => {
      const def = {
        states: [
          { key: 'draft', start: true, editableBy: ['citizen'] },
          { key: 'submitted', clock: 'stopped' },
          { key: 'processing', clock: 'running' },
          { key: 'supplement_requested', clock: 'paused', editableBy: ['citizen'] },
          { key: 'completed', terminal: true },
        ],
        actions: [
          { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
          {
            key: 'receive',
            from: ['submitted'],
            to: 'processing',
            by: ['clerk'],
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
          { key: 'complete', from: ['processing'], to: 'completed', by: ['clerk'], label: 'Complete' },
        ],
      };
      expect(validateWorkflow(def).valid).toBe(true);
    });

    it('does not mutate its input and returns fresh objects', () => {
      const input = minimal();
      const before = JSON.stringify(input);
      const r = validateWorkflow(input);
      expect(JSON.stringify(input)).toBe(before);
      if (!r.valid) throw new Error('expected valid');
      expect(r.definition.states[0]).not.toBe(input.states[0]);
      expect(r.definition.states[0].editableBy).not.toBe(input.states[0].editableBy);
    });

    it('keeps labels and drops explicit start: false / terminal: false', () => {
      const input = minimal();
      input.states[1].start = false;
      input.states[1].terminal = false;
      input.states[1].label = 'Submitted';
      const r = validateWorkflow(input);
      if (!r.valid) throw new Error('expected valid');
      expect(r.definition.states[1]).toEqual({
        key: 'submitted',
        clock: 'stopped',
        editableBy: [],
        label: 'Submitted',
      });
    });

    it('assertValidWorkflow returns the normalised definition', () => {
      expect(assertValidWorkflow(minimal()).actions[0].requires).toEqual([]);
    });

    it('assertValidWorkflow throws InvalidWorkflowError carrying the problems', () => {
      const input = minimal();
      input.actions[0].by = [];
      try {
        assertValidWorkflow(input);
        throw new Error('expected a throw');
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidWorkflowError);
        expect((e as InvalidWorkflowError).code).toBe('invalid_workflow');
        expect((e as InvalidWorkflowError).problems.map((p) => [p.path, p.code])).toEqual([
          ['actions[0].by', 'empty'],
          ['actions[0].by', 'submit_not_citizen'],
        ]);
      }
    });
  });

  describe('shape', () => {
    it.each([
      ['null', null],
      ['an array', []],
      ['a string', 'workflow'],
      ['a number', 3],
    ])('rejects %s at path "workflow"', (_name, input) => {
      expect(pairs(input)).toEqual([['workflow', 'type']]);
    });

    it('requires states and actions', () => {
      expect(pairs({})).toEqual([
        ['states', 'required'],
        ['actions', 'required'],
      ]);
    });

    it('requires states and actions to be arrays', () => {
      expect(pairs({ states: {}, actions: 'submit' })).toEqual([
        ['states', 'type'],
        ['actions', 'type'],
      ]);
    });

    it('rejects an empty states array', () => {
      const input = minimal();
      input.states = [];
      // Without states the submit action's references cannot be checked; only the shape problem is reported.
      expect(pairs(input)).toEqual([['states', 'empty']]);
    });

    it('rejects an empty actions array', () => {
      const input = minimal();
      input.actions = [];
      expect(pairs(input)).toEqual([['actions', 'empty']]);
    });

    it('rejects a state that is not an object', () => {
      const input = minimal();
      input.states.push(42);
      expect(pairs(input)).toEqual([['states[4]', 'type']]);
    });

    it('rejects an action that is not an object', () => {
      const input = minimal();
      input.actions.push('finish');
      expect(pairs(input)).toEqual([['actions[3]', 'type']]);
    });

    it('rejects an unknown top-level property', () => {
      const input = minimal();
      input.version = 2;
      expect(problemsOf(input)).toEqual([
        { path: 'version', code: 'unknown_property', message: 'Unknown property "version"; allowed: states, actions' },
      ]);
    });

    it('rejects an unknown state property (typo "terminl")', () => {
      const input = minimal();
      input.states[3] = { key: 'done', terminl: true, terminal: true };
      expect(pairs(input)).toEqual([['states[3].terminl', 'unknown_property']]);
    });

    it('rejects an unknown action property (typo "efects")', () => {
      const input = minimal();
      input.actions[1] = {
        key: 'receive',
        from: ['submitted'],
        to: 'processing',
        by: ['clerk'],
        efects: ['startClock'],
      };
      expect(pairs(input)).toEqual([['actions[1].efects', 'unknown_property']]);
    });

    it('rejects wrongly typed state fields', () => {
      const input = minimal();
      input.states[1] = { key: 'submitted', start: 'no', terminal: 0, clock: 1, editableBy: 'citizen', label: 5 };
      expect(pairs(input)).toEqual([
        ['states[1].start', 'type'],
        ['states[1].terminal', 'type'],
        ['states[1].clock', 'type'],
        ['states[1].editableBy', 'type'],
        ['states[1].label', 'type'],
      ]);
    });

    it('rejects wrongly typed action fields', () => {
      const input = minimal();
      input.actions[2] = {
        key: 'finish',
        from: 'processing',
        to: 3,
        by: 'clerk',
        requires: 'comment',
        effects: { startClock: true },
        trigger: 7,
        label: false,
      };
      expect(pairs(input)).toEqual([
        ['actions[2].from', 'type'],
        ['actions[2].to', 'type'],
        ['actions[2].by', 'type'],
        ['actions[2].requires', 'type'],
        ['actions[2].effects', 'type'],
        ['actions[2].trigger', 'type'],
        ['actions[2].label', 'type'],
        ['states[2]', 'dead_end'],
        ['states[3]', 'unreachable'],
        ['actions[2].trigger', 'trigger_not_system'],
      ]);
    });

    it('rejects non-string entries in lists', () => {
      const input = minimal();
      input.actions[2].from = ['processing', 1];
      input.actions[2].by = ['clerk', null];
      expect(pairs(input)).toEqual([
        ['actions[2].from[1]', 'type'],
        ['actions[2].by[1]', 'type'],
      ]);
    });

    it('requires from, to and by on an action', () => {
      const input = minimal();
      input.actions[2] = { key: 'finish' };
      expect(pairs(input)).toEqual([
        ['actions[2].from', 'required'],
        ['actions[2].to', 'required'],
        ['actions[2].by', 'required'],
        ['states[2]', 'dead_end'],
        ['states[3]', 'unreachable'],
      ]);
    });

    it('rejects an empty from list', () => {
      const input = minimal();
      input.actions.push({ key: 'noop', from: [], to: 'done', by: ['clerk'] });
      expect(pairs(input)).toEqual([['actions[3].from', 'empty']]);
    });

    it('rejects a state listed twice in from', () => {
      const input = minimal();
      input.actions[2].from = ['processing', 'processing'];
      expect(pairs(input)).toEqual([['actions[2].from[1]', 'duplicate']]);
    });

    it('rejects an effect listed twice', () => {
      const input = minimal();
      input.actions[1].effects = ['startClock', 'startClock'];
      expect(pairs(input)).toEqual([['actions[1].effects[1]', 'duplicate']]);
    });
  });

  describe('keys', () => {
    it('requires a state key', () => {
      const input = minimal();
      input.states.push({ terminal: true });
      expect(pairs(input)).toEqual([['states[4].key', 'required']]);
    });

    it('requires an action key', () => {
      const input = minimal();
      delete input.actions[2].key;
      expect(pairs(input)).toEqual([['actions[2].key', 'required']]);
    });

    it('rejects a non-string key', () => {
      const input = minimal();
      input.actions[2].key = 12;
      expect(pairs(input)).toEqual([['actions[2].key', 'type']]);
    });

    it('rejects an empty key', () => {
      const input = minimal();
      input.actions[2].key = '';
      expect(pairs(input)).toEqual([['actions[2].key', 'empty']]);
    });

    it.each(['Done', '1done', 'done-now', 'done now', '_done'])('rejects the state key %j', (key) => {
      const input = minimal();
      input.states[3].key = key;
      input.actions[2].to = key;
      expect(pairs(input)).toEqual([['states[3].key', 'pattern']]);
    });

    it('rejects a badly formed action key', () => {
      const input = minimal();
      input.actions[2].key = 'Finish';
      expect(pairs(input)).toEqual([['actions[2].key', 'pattern']]);
    });

    it('accepts keys with digits and underscores', () => {
      const input = minimal();
      input.states[3].key = 'step_2_done';
      input.actions[2].to = 'step_2_done';
      expect(validateWorkflow(input).valid).toBe(true);
    });

    it('rejects a duplicate state key, naming the first', () => {
      const input = minimal();
      input.states.push({ key: 'done', terminal: true });
      expect(problemsOf(input)).toEqual([
        { path: 'states[4].key', code: 'duplicate', message: 'State key "done" is already used by states[3]' },
      ]);
    });

    it('rejects a duplicate action key', () => {
      const input = minimal();
      input.actions.push({ key: 'finish', from: ['submitted'], to: 'done', by: ['clerk'] });
      expect(pairs(input)).toEqual([['actions[3].key', 'duplicate']]);
    });
  });

  describe('start state', () => {
    it('requires a start state', () => {
      const input = minimal();
      delete input.states[0].start;
      expect(pairs(input)).toEqual([['states', 'no_start_state']]);
    });

    it('rejects several start states and names them', () => {
      const input = minimal();
      input.states[1].start = true;
      const problems = problemsOf(input);
      expect(problems).toEqual([
        {
          path: 'states',
          code: 'multiple_start_states',
          message: 'Exactly one state must have "start": true; several do: draft, submitted',
        },
      ]);
    });

    it('rejects a terminal start state', () => {
      const input = minimal();
      input.states[0].terminal = true;
      expect(pairs(input)).toEqual([
        ['states[0]', 'start_terminal'],
        ['actions[0].from[0]', 'terminal_has_actions'],
      ]);
    });
  });

  describe('references and graph', () => {
    it('rejects a from naming no state', () => {
      const input = minimal();
      input.actions[2].from = ['processing', 'reviewing'];
      expect(pairs(input)).toEqual([['actions[2].from[1]', 'unknown_state']]);
    });

    it('rejects a to naming no state', () => {
      const input = minimal();
      input.actions.push({ key: 'archive', from: ['processing'], to: 'archive', by: ['clerk'] });
      expect(problemsOf(input)).toEqual([
        { path: 'actions[3].to', code: 'unknown_state', message: 'Unknown state "archive"' },
      ]);
    });

    it('rejects an unreachable state', () => {
      const input = minimal();
      input.states.push({ key: 'orphan', terminal: true });
      expect(problemsOf(input)).toEqual([
        { path: 'states[4]', code: 'unreachable', message: 'State "orphan" cannot be reached from the start state' },
      ]);
    });

    it('rejects states reachable only from each other (an island)', () => {
      const input = minimal();
      input.states.push({ key: 'island_a' }, { key: 'island_b' });
      input.actions.push(
        { key: 'a_to_b', from: ['island_a'], to: 'island_b', by: ['clerk'] },
        { key: 'b_to_a', from: ['island_b'], to: 'island_a', by: ['clerk'] },
      );
      expect(pairs(input)).toEqual([
        ['states[4]', 'unreachable'],
        ['states[5]', 'unreachable'],
      ]);
    });

    it('rejects a non-terminal state with no way out', () => {
      const input = minimal();
      input.states.push({ key: 'limbo', clock: 'running' });
      input.actions.push({ key: 'park', from: ['processing'], to: 'limbo', by: ['clerk'] });
      expect(problemsOf(input)).toEqual([
        { path: 'states[4]', code: 'dead_end', message: 'State "limbo" is not terminal but no action leaves it' },
      ]);
    });

    it('rejects an action leaving a terminal state', () => {
      const input = minimal();
      input.actions.push({ key: 'reopen', from: ['done'], to: 'processing', by: ['supervisor'] });
      expect(pairs(input)).toEqual([['actions[3].from[0]', 'terminal_has_actions']]);
    });
  });

  describe('enums', () => {
    it('rejects an unknown role in by', () => {
      const input = minimal();
      input.actions[1].by = ['officer'];
      expect(problemsOf(input)).toEqual([
        {
          path: 'actions[1].by[0]',
          code: 'unknown_role',
          message: 'Unknown role "officer"; allowed: citizen, clerk, supervisor, admin, system',
        },
      ]);
    });

    it('rejects an unknown role in editableBy', () => {
      const input = minimal();
      input.states[0].editableBy = ['citizen', 'owner'];
      expect(pairs(input)).toEqual([['states[0].editableBy[1]', 'unknown_role']]);
    });

    it('rejects an empty by', () => {
      const input = minimal();
      input.actions[1].by = [];
      expect(pairs(input)).toEqual([['actions[1].by', 'empty']]);
    });

    it('rejects an unknown effect', () => {
      const input = minimal();
      input.actions[1].effects = ['startClock', 'sendEmail'];
      expect(pairs(input)).toEqual([['actions[1].effects[1]', 'unknown_effect']]);
    });

    it('rejects an unknown requirement', () => {
      const input = minimal();
      input.actions[2].requires = ['signature'];
      expect(pairs(input)).toEqual([['actions[2].requires[0]', 'unknown_requirement']]);
    });

    it('rejects an unknown clock', () => {
      const input = minimal();
      input.states[2].clock = 'ticking';
      expect(pairs(input)).toEqual([['states[2].clock', 'unknown_clock']]);
    });
  });

  describe('system actions and triggers', () => {
    function withPayment(): Json {
      const input = minimal();
      input.states.splice(2, 0, { key: 'awaiting_payment', clock: 'paused' });
      input.actions.push(
        { key: 'request_payment', from: ['submitted'], to: 'awaiting_payment', by: ['clerk'] },
        { key: 'paid', from: ['awaiting_payment'], to: 'processing', by: ['system'], trigger: 'payment.succeeded' },
      );
      return input;
    }

    it('accepts a system action with a known trigger', () => {
      expect(validateWorkflow(withPayment()).valid).toBe(true);
    });

    it('rejects an unknown trigger', () => {
      const input = withPayment();
      input.actions[4].trigger = 'payment.done';
      expect(pairs(input)).toEqual([['actions[4].trigger', 'unknown_trigger']]);
    });

    it('rejects a trigger on an action not taken by system', () => {
      const input = withPayment();
      input.actions[4].by = ['clerk'];
      expect(pairs(input)).toEqual([['actions[4].trigger', 'trigger_not_system']]);
    });

    it('rejects a trigger on an action taken by system and someone else', () => {
      const input = withPayment();
      input.actions[4].by = ['system', 'clerk'];
      expect(pairs(input)).toEqual([['actions[4].trigger', 'trigger_not_system']]);
    });

    it('rejects a system action without a trigger', () => {
      const input = withPayment();
      delete input.actions[4].trigger;
      expect(problemsOf(input)).toEqual([
        {
          path: 'actions[4].trigger',
          code: 'system_without_trigger',
          message:
            'Action "paid" is taken by "system" and must name a trigger ' +
            '(payment.succeeded, payment.expired, shipment.delivered, shipment.returned)',
        },
      ]);
    });
  });

  describe('submit action', () => {
    it('requires an action keyed submit', () => {
      const input = minimal();
      input.actions[0].key = 'send';
      expect(problemsOf(input)).toEqual([
        { path: 'actions', code: 'missing_submit', message: 'An action keyed "submit" is required' },
      ]);
    });

    it('requires submit to leave the start state', () => {
      const input = minimal();
      input.actions[0].key = 'send';
      input.actions.push({ key: 'submit', from: ['submitted'], to: 'processing', by: ['citizen'] });
      expect(pairs(input)).toEqual([['actions[3].from', 'submit_not_from_start']]);
    });

    it('requires submit to be taken by citizen', () => {
      const input = minimal();
      input.actions[0].by = ['clerk'];
      expect(pairs(input)).toEqual([['actions[0].by', 'submit_not_citizen']]);
    });

    it('accepts submit taken by citizen and clerk (counter filing)', () => {
      const input = minimal();
      input.actions[0].by = ['citizen', 'clerk'];
      expect(validateWorkflow(input).valid).toBe(true);
    });
  });

  describe('clock from receipt to the result', () => {
    /** receive starts the clock; approve; the fee after approval; issue the result. */
    function afterApproval(approved: string, awaiting: string): Json {
      return {
        states: [
          { key: 'draft', start: true, editableBy: ['citizen'] },
          { key: 'submitted', clock: 'stopped' },
          { key: 'processing', clock: 'running' },
          { key: 'awaiting_payment', clock: awaiting },
          { key: 'approved', clock: approved },
          { key: 'result_issued', clock: 'stopped' },
          { key: 'done', terminal: true },
          { key: 'withdrawn', terminal: true },
        ],
        actions: [
          { key: 'submit', from: ['draft'], to: 'submitted', by: ['citizen'] },
          { key: 'receive', from: ['submitted'], to: 'processing', by: ['clerk'], effects: ['startClock'] },
          { key: 'approve', from: ['processing'], to: 'awaiting_payment', by: ['supervisor'] },
          { key: 'paid', from: ['awaiting_payment'], to: 'approved', by: ['system'], trigger: 'payment.succeeded' },
          { key: 'withdraw', from: ['awaiting_payment'], to: 'withdrawn', by: ['citizen'] },
          { key: 'issue', from: ['approved'], to: 'result_issued', by: ['clerk'], effects: ['issueResult'] },
          { key: 'hand_over', from: ['result_issued'], to: 'done', by: ['clerk'] },
        ],
      };
    }

    it('accepts the clock stopped before receipt and once the result is ready; paused while the citizen pays', () => {
      expect(validateWorkflow(afterApproval('running', 'paused')).valid).toBe(true);
      expect(validateWorkflow(afterApproval('running', 'running')).valid).toBe(true);
    });

    it('refuses a state waiting for the agency after receipt that stops or pauses the clock', () => {
      expect(pairs(afterApproval('stopped', 'paused'))).toEqual([['states[4].clock', 'clock_stops_before_result']]);
      expect(pairs(afterApproval('paused', 'paused'))).toEqual([['states[4].clock', 'clock_paused_for_agency']]);
    });

    it('refuses approval that stops the clock while the fee is awaited (the appointment is for the result)', () => {
      const input = afterApproval('running', 'stopped');
      delete input.states[3].clock;
      expect(problemsOf(input)).toEqual([
        expect.objectContaining({ path: 'states[3].clock', code: 'clock_stops_before_result' }),
      ]);
    });
  });

  describe('resubmit marking', () => {
    /** minimal() plus a supplementation round where withdrawing is listed before sending the supplement. */
    function withSupplement(): Json {
      const input = minimal();
      input.states.push(
        { key: 'supplement', clock: 'paused', editableBy: ['citizen'], resubmit: 'send_supplement' },
        { key: 'withdrawn', terminal: true },
      );
      input.actions.push(
        { key: 'ask', from: ['processing'], to: 'supplement', by: ['clerk'] },
        { key: 'withdraw', from: ['supplement'], to: 'withdrawn', by: ['citizen'] },
        { key: 'send_supplement', from: ['supplement'], to: 'processing', by: ['citizen'] },
      );
      return input;
    }

    it('accepts a state marking the citizen action that leaves it, and keeps the marking', () => {
      const r = validateWorkflow(withSupplement());
      if (!r.valid) throw new Error(JSON.stringify(r.problems));
      expect(r.definition.states.find((s) => s.key === 'supplement')?.resubmit).toBe('send_supplement');
    });

    it('refuses a marking naming no action, an action leaving another state, or one the citizen does not take', () => {
      const unknown = withSupplement();
      unknown.states[4].resubmit = 'send';
      expect(pairs(unknown)).toEqual([['states[4].resubmit', 'resubmit_unknown_action']]);
      const elsewhere = withSupplement();
      elsewhere.states[4].resubmit = 'finish';
      expect(pairs(elsewhere)).toEqual([
        ['states[4].resubmit', 'resubmit_not_from_state'],
        ['states[4].resubmit', 'resubmit_not_citizen'],
      ]);
      const notString = withSupplement();
      notString.states[4].resubmit = ['send_supplement'];
      expect(pairs(notString)).toEqual([['states[4].resubmit', 'type']]);
    });
  });

  describe('transfer between agencies', () => {
    it("keeps a state's agency and allotted hours", () => {
      const input = minimal();
      input.states[2] = { key: 'processing', clock: 'running', agency: '000.00.30.H56', allotmentHours: 40 };
      const r = validateWorkflow(input);
      if (!r.valid) throw new Error(JSON.stringify(r.problems));
      expect(r.definition.states[2]).toMatchObject({ agency: '000.00.30.H56', allotmentHours: 40 });
      expect(r.definition.states[1]).not.toHaveProperty('agency');
    });

    it('refuses an empty agency and allotted hours that are not a positive number', () => {
      const input = minimal();
      input.states[1].agency = ' ';
      input.states[2].allotmentHours = 0;
      input.states[3].allotmentHours = '8';
      expect(pairs(input)).toEqual([
        ['states[1].agency', 'empty'],
        ['states[2].allotmentHours', 'not_positive'],
        ['states[3].allotmentHours', 'type'],
      ]);
    });
  });

  it('reports every problem of a definition with several, not just the first', () => {
    const input = {
      states: [
        { key: 'draft', start: true },
        { key: 'Submitted' },
        { key: 'processing', clock: 'ticking' },
        { key: 'done', terminal: true },
        { key: 'done', terminal: true },
        { key: 'orphan' },
      ],
      actions: [
        { key: 'submit', from: ['draft'], to: 'Submitted', by: ['clerk'] },
        { key: 'receive', from: ['Submitted'], to: 'processing', by: ['officer'], efects: ['startClock'] },
        { key: 'finish', from: ['processing'], to: 'done', by: ['clerk'], effects: ['sendEmail'] },
        { key: 'reopen', from: ['done'], to: 'processing', by: ['system'] },
        { key: 'lost', from: ['processing'], to: 'nowhere', by: ['clerk'], trigger: 'payment.succeeded' },
      ],
      extra: true,
    };
    expect(pairs(input)).toEqual([
      ['extra', 'unknown_property'],
      ['states[1].key', 'pattern'],
      ['states[2].clock', 'unknown_clock'],
      ['actions[1].efects', 'unknown_property'],
      ['actions[1].by[0]', 'unknown_role'],
      ['actions[2].effects[0]', 'unknown_effect'],
      ['states[4].key', 'duplicate'],
      ['actions[3].from[0]', 'terminal_has_actions'],
      ['actions[4].to', 'unknown_state'],
      ['states[5]', 'dead_end'],
      ['states[5]', 'unreachable'],
      ['actions[3].trigger', 'system_without_trigger'],
      ['actions[4].trigger', 'trigger_not_system'],
      ['actions[0].by', 'submit_not_citizen'],
    ]);
  });
});
