/**
 * Workflow definitions are data: a procedure version carries one, the engine
 * interprets it. This file is the contract between the admin API (which stores
 * definitions), the engine (which validates and runs them) and the services
 * (which apply the effects). No framework imports here.
 */

export const ROLES = ['citizen', 'clerk', 'supervisor', 'admin', 'system'] as const;
export type Role = (typeof ROLES)[number];

/** Roles a human account can hold; `system` is the portal acting by itself. */
export type AccountRole = Exclude<Role, 'system'>;

export const CLOCKS = ['stopped', 'running', 'paused'] as const;
/**
 * How the deadline clock behaves while a dossier sits in a state:
 * - `stopped`: not started yet (before receipt) or finished;
 * - `running`: working time counts against the due date;
 * - `paused`: working time spent here pushes the due date back.
 */
export type Clock = (typeof CLOCKS)[number];

export const EFFECTS = [
  'startClock',
  'issueReceipt',
  'requirePayment',
  'issueResult',
  'dispatchByPost',
  'refund',
] as const;
/** The closed set of side effects the engine knows; services implement each. */
export type Effect = (typeof EFFECTS)[number];

export const TRIGGERS = ['payment.succeeded', 'payment.expired', 'shipment.delivered', 'shipment.returned'] as const;
/** Events on which the portal takes a `system` action by itself. */
export type Trigger = (typeof TRIGGERS)[number];

export const REQUIREMENTS = ['comment', 'attachments', 'finding'] as const;
/**
 * What an action demands from its caller's input. `finding`: the conclusion the approver writes into the
 * result (e.g. a judicial record's "Án tích"), `data.finding` of the action (or its comment).
 */
export type Requirement = (typeof REQUIREMENTS)[number];

export interface StateDefinition {
  key: string;
  /** The state a new dossier starts in; exactly one per workflow. */
  start?: boolean;
  /** No way out; the dossier is finished (completed, refused, withdrawn...). */
  terminal?: boolean;
  clock?: Clock;
  /** Roles that may edit the form data and documents while in this state. */
  editableBy?: Role[];
  /** Human label; defaults to the key. */
  label?: string;
  /**
   * In a state the dossier is back with the citizen (supplementation,
   * completing a filing): the key of the citizen's action that
   * `POST /applications/:id/submit` takes from here. Checked at publish: it
   * leaves this state and is taken by `citizen`.
   */
  resubmit?: string;
  /**
   * Transfer between agencies (liên thông): the code of the agency that works the dossier while it is in this
   * state; by default the procedure's. Staff actions leaving the state are taken by that agency's staff. Checked
   * at publish (the agency exists).
   */
  agency?: string;
  /** The working time allotted to this step, in working hours (form 05 compares it with the time taken). */
  allotmentHours?: number;
}

export interface ActionDefinition {
  key: string;
  from: string[];
  to: string;
  by: Role[];
  requires?: Requirement[];
  effects?: Effect[];
  /** Only for `system` actions: the event that makes the portal take it. */
  trigger?: Trigger;
  label?: string;
}

export interface WorkflowDefinition {
  states: StateDefinition[];
  actions: ActionDefinition[];
}

/**
 * Terminal states the indicators report apart (Decision 766): a dossier the
 * citizen withdrew, or one the agency refused to accept, is not a finished
 * dossier: it counts neither on time nor late.
 */
export const WITHDRAWN_STATE = 'withdrawn';
export const REFUSED_STATE = 'refused';
export const NOT_FINISHED_STATES: readonly string[] = [WITHDRAWN_STATE, REFUSED_STATE];

/**
 * The conventional key of the action by which the competent person approves the result; it (and any action
 * requiring a `finding`) records the approver, whose name and title sign the generated result.
 */
export const APPROVE_ACTION = 'approve';

/** The action key that `POST /applications/:id/submit` takes (from the start state). */
export const SUBMIT_ACTION = 'submit';

/**
 * The conventional key of the citizen's action that sends a supplement; used
 * by `POST /applications/:id/submit` in a state that marks no `resubmit`.
 */
export const RESUBMIT_ACTION = 'resubmit';
