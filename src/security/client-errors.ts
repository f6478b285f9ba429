import { ArgumentsHost, Catch } from '@nestjs/common';
import { AppError, BadRequest } from '../common/problem';
import { ProblemFilter } from '../common/problem.filter';

/**
 * Errors the multipart parser (busboy/dicer) raises on a malformed body — a
 * truncated upload, a part that never ends, a missing boundary — are plain
 * `Error`s; left alone they answer 500. They are the client's doing: 400.
 */
const MALFORMED_MULTIPART =
  /^(?:Unexpected end of multipart data|\w+ terminated early due to unexpected end of multipart data|Multipart: Boundary not found|Boundary required|Malformed part header|Unexpected end of (?:form|file))$/;

/** At most this many field errors in one answer (the rest are counted, not listed). */
export const MAX_FIELD_ERRORS = 50;

export function asClientError(e: unknown): unknown {
  if (e instanceof AppError && e.errors && e.errors.length > MAX_FIELD_ERRORS) {
    return new AppError(
      e.status,
      e.slug,
      e.title,
      `${e.message} (${e.errors.length} problems; the first ${MAX_FIELD_ERRORS} are listed)`,
      e.errors.slice(0, MAX_FIELD_ERRORS),
      e.extensions,
    );
  }
  if (e instanceof Error && !('status' in e) && !('statusCode' in e) && MALFORMED_MULTIPART.test(e.message)) {
    return new BadRequest('The multipart body is malformed or truncated.', [
      { field: 'body', message: 'malformed multipart/form-data' },
    ]);
  }
  return e;
}

/** The portal's ProblemFilter, with the parser errors above recognised as client errors and long error lists cut short. */
@Catch()
export class SecureProblemFilter extends ProblemFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    super.catch(asClientError(exception), host);
  }
}
