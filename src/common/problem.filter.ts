import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import {
  ActionForbiddenError,
  InvalidTransitionError,
  MissingRequirementError,
  UnknownActionError,
  WorkflowError,
} from '../workflow/errors';
import { AppError, FieldError, PROBLEM_BASE, ProblemBody } from './problem';

const PG_CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
const NET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

/**
 * Maps every error to one problem+json body. Domain errors map exhaustively;
 * a real fault answers 500 with a correlation id and no internals (no stack,
 * no SQL): the details go to the log under the same id.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const problem = toProblem(exception);
    if (problem.status >= 500) {
      problem.correlationId = String(request?.id ?? '');
      this.logger.error({ err: exception, correlationId: problem.correlationId }, 'request failed');
    }
    sendProblem(reply, problem);
  }
}

export function sendProblem(reply: FastifyReply, problem: ProblemBody): void {
  if (reply.sent) return;
  if (typeof problem.retryAfter === 'number') reply.header('retry-after', String(problem.retryAfter));
  reply.status(problem.status).header('content-type', 'application/problem+json; charset=utf-8').send(problem);
}

export function toProblem(exception: unknown): ProblemBody {
  if (exception instanceof AppError) return exception.toProblem();
  if (exception instanceof WorkflowError) return workflowProblem(exception);
  if (exception instanceof ThrottlerException) {
    return {
      type: PROBLEM_BASE + 'too-many-requests',
      title: 'Too Many Requests',
      status: 429,
      detail: 'Too many requests; slow down.',
    };
  }
  if (exception instanceof HttpException) return httpProblem(exception);
  const pg = pgCode(exception);
  if (pg === '23505') return conflict('The request conflicts with data that already exists.');
  if (pg === '40001' || pg === '40P01' || pg === '55P03')
    return conflict('Another change to the same record won; reload and try again.');
  // Invalid text, dates, numbers, byte sequences, too-long values or too-deep structures: the input's fault.
  if (['22P02', '22007', '22008', '22003', '22001', '22021', '22P05', '54001'].includes(pg ?? '')) {
    return {
      type: PROBLEM_BASE + 'bad-request',
      title: 'Bad Request',
      status: 400,
      detail: 'A value in the request is not valid.',
    };
  }
  if (isUnavailable(exception, pg)) {
    return {
      type: PROBLEM_BASE + 'unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The service is temporarily unavailable; try again shortly.',
    };
  }
  const fastifyCode = (exception as { code?: string; statusCode?: number })?.code;
  const statusCode = (exception as { statusCode?: number })?.statusCode;
  if (typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_') && statusCode && statusCode < 500) {
    return {
      type: PROBLEM_BASE + 'bad-request',
      title: statusTitle(statusCode),
      status: statusCode,
      detail: (exception as Error).message,
    };
  }
  return {
    type: PROBLEM_BASE + 'internal',
    title: 'Internal Server Error',
    status: 500,
    detail: 'Something went wrong on our side.',
  };
}

function workflowProblem(e: WorkflowError): ProblemBody {
  const base = { type: PROBLEM_BASE + e.code, detail: e.message };
  if (e instanceof UnknownActionError) return { ...base, title: 'Not Found', status: 404 };
  if (e instanceof ActionForbiddenError) return { ...base, title: 'Forbidden', status: 403 };
  if (e instanceof InvalidTransitionError) return { ...base, title: 'Conflict', status: 409 };
  if (e instanceof MissingRequirementError) {
    const errors: FieldError[] = e.missing.map((m) => ({ field: m, message: `${m} is required for this action` }));
    return { ...base, title: 'Validation failed', status: 422, errors };
  }
  return { ...base, title: 'Unprocessable Entity', status: 422 };
}

function httpProblem(e: HttpException): ProblemBody {
  const status = e.getStatus();
  const res = e.getResponse() as string | { message?: string | string[]; errors?: FieldError[] };
  const message = typeof res === 'string' ? res : Array.isArray(res.message) ? res.message.join('; ') : res.message;
  const body: ProblemBody = {
    type: PROBLEM_BASE + (status === 404 ? 'not-found' : status === 400 ? 'bad-request' : `http-${status}`),
    title: statusTitle(status),
    status,
    detail: status === 404 ? 'The resource was not found.' : (message ?? statusTitle(status)),
  };
  if (typeof res === 'object' && res.errors) body.errors = res.errors;
  return body;
}

function conflict(detail: string): ProblemBody {
  return { type: PROBLEM_BASE + 'conflict', title: 'Conflict', status: 409, detail };
}

function pgCode(e: unknown): string | undefined {
  if (e instanceof QueryFailedError) return (e.driverError as { code?: string })?.code;
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function isUnavailable(e: unknown, pg?: string): boolean {
  if (pg && PG_CONNECTION_CODES.has(pg)) return true;
  // The connection died mid-transaction (Postgres went away): nothing was committed.
  if (e instanceof QueryRunnerAlreadyReleasedError) return true;
  const code = (e as { code?: string })?.code;
  if (code && NET_ERRORS.has(code)) return true;
  const msg = e instanceof Error ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed/i.test(
    msg,
  );
}

function statusTitle(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    406: 'Not Acceptable',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    422: 'Unprocessable Entity',
    429: 'Too Many Requests',
    503: 'Service Unavailable',
  };
  return titles[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');
}
