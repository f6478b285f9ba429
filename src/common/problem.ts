/**
 * One error body everywhere (RFC 9457 `application/problem+json`):
 * `{type, title, status, detail, errors?, correlationId?}`. Services throw
 * these typed errors; the exception filter turns them, and everything else,
 * into that body.
 */
export interface FieldError {
  /** Dotted path of the offending field (`formData.fullName`, `delivery.address`, `file`). */
  field: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  correlationId?: string;
  [extension: string]: unknown;
}

export const PROBLEM_BASE = 'https://portal.local/problems/';

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail?: string,
    readonly errors?: FieldError[],
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }

  toProblem(): ProblemBody {
    return {
      type: PROBLEM_BASE + this.slug,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }
}

export class NotFound extends AppError {
  /** `what` is for readers of the code only: unknown id, another user's id and an unknown route must look alike. */
  constructor(_what = 'resource') {
    super(404, 'not-found', 'Not Found', 'The resource was not found.');
  }
}

/** The input, as a whole or per field, breaks a rule: 400 for its shape, 422 for its meaning. Nothing else. */
export class ValidationFailed extends AppError {
  constructor(errors: FieldError[], detail = 'The request is not valid.', status: 400 | 422 = 422) {
    super(status, 'validation', 'Validation failed', detail, errors);
  }
}

/** It existed, and is no longer available (an expired link). */
export class Gone extends AppError {
  constructor(detail: string) {
    super(410, 'gone', 'Gone', detail);
  }
}

/** The body (or an uploaded file) is of a type the route does not take. */
export class UnsupportedMediaType extends AppError {
  constructor(detail: string, errors?: FieldError[]) {
    super(415, 'unsupported-media-type', 'Unsupported Media Type', detail, errors);
  }
}

export class BadRequest extends AppError {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, 'bad-request', 'Bad Request', detail, errors);
  }
}

export class Conflict extends AppError {
  constructor(detail: string, slug = 'conflict') {
    super(409, slug, 'Conflict', detail);
  }
}

export class Forbidden extends AppError {
  constructor(detail = 'You may not do this.') {
    super(403, 'forbidden', 'Forbidden', detail);
  }
}

export class Unauthorized extends AppError {
  constructor(detail = 'Authentication is required.') {
    super(401, 'unauthorized', 'Unauthorized', detail);
  }
}

export class TooManyRequests extends AppError {
  constructor(detail: string, retryAfterSeconds?: number) {
    super(
      429,
      'too-many-requests',
      'Too Many Requests',
      detail,
      undefined,
      retryAfterSeconds ? { retryAfter: retryAfterSeconds } : {},
    );
  }
}

export class ServiceUnavailable extends AppError {
  constructor(detail = 'The service is temporarily unavailable; try again shortly.') {
    super(503, 'unavailable', 'Service Unavailable', detail);
  }
}
