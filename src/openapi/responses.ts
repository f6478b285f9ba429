import { applyDecorators, Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiSchema,
  getSchemaPath,
} from '@nestjs/swagger';
import type { ReferenceObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/**
 * Building blocks of the OpenAPI document: the one problem+json schema every
 * error references, and response decorators that state the content type and
 * the body schema of each answer explicitly (the Swagger CLI plugin is not
 * used: every property carries @ApiProperty).
 */

@ApiSchema({ name: 'FieldError', description: 'One offending field' })
export class FieldErrorDto {
  @ApiProperty({ description: 'Dotted path of the field (formData.fullName, delivery.address, file)' })
  field: string;
  @ApiProperty()
  message: string;
}

@ApiSchema({ name: 'Problem', description: 'RFC 9457 problem details: the body of every error' })
export class ProblemDto {
  @ApiProperty({ format: 'uri', example: 'https://portal.local/problems/not-found' })
  type: string;
  @ApiProperty({ example: 'Not Found' })
  title: string;
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 404 })
  status: number;
  @ApiPropertyOptional({ example: 'The resource was not found.' })
  detail?: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Per field, for 400 and 422' })
  errors?: FieldErrorDto[];
  @ApiPropertyOptional({ description: 'On 5xx: the id under which the fault was logged' })
  correlationId?: string;
  @ApiPropertyOptional({ type: 'integer', description: 'On 429: seconds to wait (also the Retry-After header)' })
  retryAfter?: number;
  @ApiPropertyOptional({
    enum: ['mfa_required', 'mfa_invalid', 'mfa_enrolment_required'],
    description: "On a staff sign-in's 401: the second factor is missing, wrong, or not set up yet",
  })
  code?: string;
}

export const PROBLEM_JSON = 'application/problem+json';

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed (body, query, header or upload shape)',
  401: 'No valid access token (or a bad callback signature)',
  403: "The caller's role may never do this",
  404: 'Not found, or not the caller’s to see',
  409: 'Conflicts with the current state (slug in `type`)',
  410: 'No longer available',
  413: 'The body or the file is too large',
  415: 'The body or the file is of a type this route does not take',
  422: 'Validation failed, per field',
  429: 'Too many requests; Retry-After says when to try again',
  500: 'A fault on our side; the correlation id finds it in the log',
  503: 'Temporarily unavailable (database or Redis down, shutting down)',
};

function problemResponse(status: number, description?: string) {
  return ApiResponse({
    status,
    description: description ?? PROBLEM_DESCRIPTIONS[status] ?? 'Error',
    content: { [PROBLEM_JSON]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
  });
}

/** Error answers of an operation (or of every operation of a controller): `ApiProblems(401, 404, [409, 'why'])`. */
export function ApiProblems(...answers: Array<number | [number, string]>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDto, FieldErrorDto),
    ...answers.map((a) => (Array.isArray(a) ? problemResponse(a[0], a[1]) : problemResponse(a))),
  );
}

/** The same problem responses, for DocumentBuilder.addGlobalResponse (every operation can answer them). */
export function globalProblemResponses(...statuses: number[]) {
  return statuses.map((status) => ({
    status,
    description: PROBLEM_DESCRIPTIONS[status],
    content: { [PROBLEM_JSON]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
  }));
}

type Body = Type<unknown> | [Type<unknown>] | SchemaObject;

function schemaOf(body: Body): SchemaObject | ReferenceObject {
  if (Array.isArray(body)) return { type: 'array', items: { $ref: getSchemaPath(body[0]) } };
  if (typeof body === 'function') return { $ref: getSchemaPath(body) };
  return body;
}

function modelsOf(body: Body): Type<unknown>[] {
  if (Array.isArray(body)) return [body[0]];
  return typeof body === 'function' ? [body] : [];
}

/** A JSON answer: `ApiJson(200, DossierView, 'The dossier')`, `ApiJson(200, [ItemDto])` or a literal schema. */
export function ApiJson(status: number, body: Body, description = 'OK'): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(...modelsOf(body)),
    ApiResponse({ status, description, content: { 'application/json': { schema: schemaOf(body) } } }),
  );
}

/** A file answer (PDF, CSV, an uploaded image...): the body is the bytes, in one of `contentTypes`. */
export function ApiFile(
  status: number,
  contentTypes: string | string[],
  description: string,
): MethodDecorator & ClassDecorator {
  const types = Array.isArray(contentTypes) ? contentTypes : [contentTypes];
  return ApiResponse({
    status,
    description,
    content: Object.fromEntries(types.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
  });
}

/** An answer with no body (204). */
export function ApiNoBody(status: number, description: string): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, description });
}
