import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { FieldErrorDto, globalProblemResponses, ProblemDto } from './responses';

/** Every tag an operation may carry, with what it groups (Spectral: operation-tag-defined, tag-description). */
export const API_TAGS: Record<string, string> = {
  auth: 'Accounts: registration, sign-in, refresh tokens, passwords',
  procedures: 'The public catalog of procedures',
  applications: 'Dossiers: drafts, submission, workflow actions, documents, history, rating',
  queue: "The agency's work queue (clerks, supervisors)",
  lookup: 'Public lookup of a dossier by code and ID number',
  payments: 'Fees: payment requests and attempts, receipts, VNPay callbacks, reconciliation',
  results: 'Results: upload, download, signed links, public verification',
  delivery: 'Delivery by post: the postal operator’s tracking webhook',
  reports: 'Indicators per agency and procedure',
  admin: 'Administration: agencies, staff, accounts, procedures and their versions',
  ops: 'Operations: health, queues, failed jobs, undelivered messages',
  sandbox: 'Built-in provider sandboxes (VNPay, postal operator, SMS gateway); only with SANDBOX_ENABLED',
  forms: 'Official forms of Circular 01/2018 (01-05 per dossier, 06 the agency tracking log), as PDF',
  counter: 'Counter intake: a clerk files and receives a walk-in citizen’s dossier (or one received by post)',
};

/** The portal's OpenAPI 3 document (served at /docs/json; written to dist/openapi.json by the contract test). */
export function buildOpenApiDocument(app: INestApplication, publicBaseUrl: string): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Public services portal')
    .setDescription(
      'Level-4 online public services: dossiers, fees, results. Errors are application/problem+json (schema Problem).',
    )
    .setVersion('1')
    .addServer(publicBaseUrl.replace(/\/$/, ''), 'This portal')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'Access token from /auth/login',
    })
    .addSecurityRequirements('bearer')
    // Input hygiene (src/security/input-hygiene.ts) refuses NUL, lone surrogates and absurd nesting on every route: 400.
    .addGlobalResponse(...globalProblemResponses(400, 500, 503));
  for (const [name, description] of Object.entries(API_TAGS)) builder.addTag(name, description);
  const config = builder.build();
  config.info.contact = { name: 'Portal operators', url: publicBaseUrl };
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto, FieldErrorDto] });
  return withBodyProblems(document);
}

/**
 * Fastify refuses a body before any route code runs: over the size limit (413) or of a content type no parser
 * takes (415). Every operation with a method that carries a body can answer both, so they are added here once.
 */
function withBodyProblems(document: OpenAPIObject): OpenAPIObject {
  const [tooLarge, unsupported] = globalProblemResponses(413, 415);
  for (const item of Object.values(document.paths)) {
    for (const op of [item.post, item.put, item.patch]) {
      if (!op) continue;
      op.responses['413'] ??= { description: tooLarge.description, content: tooLarge.content };
      op.responses['415'] ??= { description: unsupported.description, content: unsupported.content };
    }
  }
  return document;
}
