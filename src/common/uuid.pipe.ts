import { ParseUUIDPipe } from '@nestjs/common';
import { NotFound } from './problem';

/** A malformed id in a URL is as unknown as a well-formed one that does not exist: 404. */
export const UuidParam = new ParseUUIDPipe({ exceptionFactory: () => new NotFound() });
