/**
 * Typed domain errors raised by the workflow core. They carry a stable `code`
 * (for problem+json `type`/`code` mapping in the HTTP layer) and the data the
 * caller needs to build a clear 4xx answer. No framework imports here.
 */
import type { Requirement, Role } from './definition';

/** One thing wrong with a workflow definition, at a JSON-ish path. */
export interface WorkflowProblem {
  /** Where: `workflow`, `states`, `states[2].key`, `actions[1].effects[0]`... */
  path: string;
  /** Machine-readable kind of problem; see `WorkflowProblemCode`. */
  code: string;
  /** Human-readable explanation. */
  message: string;
}

export abstract class WorkflowError extends Error {
  abstract readonly code: string;

  protected constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The action key does not exist in the workflow at all. */
export class UnknownActionError extends WorkflowError {
  readonly code = 'unknown_action';

  constructor(readonly actionKey: string) {
    super(`Unknown action "${actionKey}"`);
  }
}

/** A state key does not exist in the workflow (a broken or mismatched definition). */
export class UnknownStateError extends WorkflowError {
  readonly code = 'unknown_state';

  constructor(readonly stateKey: string) {
    super(`Unknown state "${stateKey}"`);
  }
}

/** The action exists but cannot be taken from the current state. */
export class InvalidTransitionError extends WorkflowError {
  readonly code = 'invalid_transition';

  constructor(
    readonly actionKey: string,
    readonly fromState: string,
  ) {
    super(`Action "${actionKey}" cannot be taken from state "${fromState}"`);
  }
}

/** The role is not among the action's `by`. */
export class ActionForbiddenError extends WorkflowError {
  readonly code = 'action_forbidden';

  constructor(
    readonly actionKey: string,
    readonly role: Role,
  ) {
    super(`Role "${role}" may not take action "${actionKey}"`);
  }
}

/** The caller's input does not satisfy the action's `requires`. */
export class MissingRequirementError extends WorkflowError {
  readonly code = 'missing_requirement';
  readonly missing: Requirement[];

  constructor(
    readonly actionKey: string,
    missing: Requirement[],
  ) {
    super(`Action "${actionKey}" requires: ${missing.join(', ')}`);
    this.missing = [...missing];
  }
}

/** A workflow definition failed static validation. */
export class InvalidWorkflowError extends WorkflowError {
  readonly code = 'invalid_workflow';
  readonly problems: WorkflowProblem[];

  constructor(problems: WorkflowProblem[]) {
    const head = problems
      .slice(0, 3)
      .map((p) => `${p.path}: ${p.message}`)
      .join('; ');
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
    super(`Invalid workflow definition: ${head}${more}`);
    this.problems = problems.map((p) => ({ ...p }));
  }
}
