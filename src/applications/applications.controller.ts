import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiFile, ApiJson, ApiProblems } from '../openapi/responses';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser, Public, Roles } from '../auth/auth-user';
import type { AuthUser } from '../auth/auth-user';
import { BadRequest, NotFound } from '../common/problem';
import { UuidParam } from '../common/uuid.pipe';
import { RateLimit } from '../security/rate-limit';
import { readOneFile } from '../storage/upload';
import { ApplicationsService } from './applications.service';
import { StoredDocument } from './documents.repository';
import { DocumentsService } from './documents.service';
import {
  ActionDto,
  ApologyDto,
  AssignDto,
  CreateApplicationDto,
  ListQueryDto,
  LookupQueryDto,
  QueueQueryDto,
  RatingDto,
  ReuseDocumentDto,
  UpdateApplicationDto,
} from './dto';
import { DossierView } from './dossier.view';
import { QueueService } from './queue.service';
import {
  DocumentDto,
  DossierPageDto,
  HistoryEntryDto,
  LookupResultDto,
  QueuePageDto,
  RatingViewDto,
} from './views.dto';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;
const ACTION_KEY = /^[a-z][a-z0-9_]{0,63}$/;

@ApiTags('applications')
@Controller('applications')
export class ApplicationsController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly documents: DocumentsService,
  ) {}

  @ApiOperation({
    summary: 'Start a draft dossier',
    description: 'For a published procedure; pinned to its current version. Form data may be partial until submission.',
  })
  @ApiJson(201, DossierView, 'The draft')
  @ApiProblems(400, 401, 403, [409, 'Too many open drafts'], 422)
  @Roles('citizen')
  @Post()
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateApplicationDto): Promise<DossierView> {
    return this.applications.create(user, dto);
  }

  @ApiOperation({
    summary: 'My dossiers (citizen) or the agency’s (staff)',
    description: 'Newest first, keyset-paginated; staff never see drafts that were never submitted.',
  })
  @ApiJson(200, DossierPageDto)
  @ApiProblems(400, 401)
  @Get()
  list(@CurrentUser() user: AuthUser, @Query() q: ListQueryDto) {
    return this.applications.list(user, q.limit, q.cursor);
  }

  @ApiOperation({ summary: 'One dossier', description: 'With its payment, result, parcel, apologies and rating.' })
  @ApiJson(200, DossierView)
  @ApiProblems(401, 404)
  @Get(':id')
  get(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string): Promise<DossierView> {
    return this.applications.get(user, id);
  }

  @ApiOperation({
    summary: 'Edit a dossier’s form or delivery',
    description:
      'Only in a state where the caller may edit (draft, supplementation); fields merge into the saved data.',
  })
  @ApiJson(200, DossierView)
  @ApiProblems(400, 401, 403, 404, [409, 'Not editable in this state'], 422)
  @Roles('citizen', 'clerk', 'supervisor')
  @Patch(':id')
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() dto: UpdateApplicationDto,
  ): Promise<DossierView> {
    return this.applications.update(user, id, dto);
  }

  @ApiOperation({ summary: 'A dossier’s history', description: 'Every step, in order, with its attachments.' })
  @ApiJson(200, [HistoryEntryDto])
  @ApiProblems(401, 404)
  @Get(':id/history')
  history(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.applications.history(user, id);
  }

  @ApiOperation({
    summary: 'Submit a dossier',
    description:
      'Checks the form and required documents, assigns the code. Idempotent by key: a repeat answers as the first did.',
  })
  @ApiJson(200, DossierView, 'Submitted (or the stored answer to the same key)')
  @ApiProblems(400, 401, 403, 404, [409, 'Not in a state that can be submitted, or the key was used otherwise'], 422)
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '8-128 characters; repeat it to retry safely' })
  @Roles('citizen')
  @Post(':id/submit')
  @HttpCode(200)
  async submit(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DossierView> {
    if (!key || !IDEMPOTENCY_KEY.test(key)) {
      throw new BadRequest('An Idempotency-Key header of 8-128 letters, digits or _.:- is required.', [
        { field: 'Idempotency-Key', message: 'required, 8-128 characters of A-Z a-z 0-9 _ . : -' },
      ]);
    }
    const { status, body } = await this.applications.submit(user, id, key);
    reply.status(status);
    return body;
  }

  @ApiOperation({
    summary: 'Take a workflow action',
    description: 'Receive, request supplementation, approve, refuse, withdraw...: as the procedure’s workflow allows.',
  })
  @ApiJson(200, DossierView, 'The dossier after the action')
  @ApiProblems(400, 401, 403, 404, [409, 'The state changed or the action is not possible now'], 422)
  @Post(':id/actions/:action')
  @HttpCode(200)
  act(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Param('action') action: string,
    @Body() dto: ActionDto,
  ): Promise<DossierView> {
    if (!ACTION_KEY.test(action)) throw new NotFound('action');
    return this.applications.act(user, id, action, dto);
  }

  @ApiOperation({ summary: 'Assign a dossier to a clerk', description: 'Without a clerk id the caller claims it.' })
  @ApiJson(200, DossierView)
  @ApiProblems(400, 401, 403, 404, 409, 422)
  @Roles('clerk', 'supervisor')
  @Post(':id/assign')
  @HttpCode(200)
  assign(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() dto: AssignDto,
  ): Promise<DossierView> {
    return this.applications.assign(user, id, dto.clerkId);
  }

  /** Form 04: apology and new return date when the result will be late. */
  @ApiOperation({
    summary: 'Apologise for a late result (form 04)',
    description: 'States a reason and a new return date; the dossier still counts as late.',
  })
  @ApiJson(200, DossierView)
  @ApiProblems(400, 401, 403, 404, 409, 422)
  @Roles('clerk', 'supervisor')
  @Post(':id/apology')
  @HttpCode(200)
  apology(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() dto: ApologyDto,
  ): Promise<DossierView> {
    return this.applications.apologize(user, id, dto.reason, new Date(dto.newDueAt));
  }

  /** The citizen's rating of the service, once, after the dossier is finished. */
  @ApiOperation({
    summary: 'Rate the service',
    description: 'By the owner, once, after the agency decided the dossier.',
  })
  @ApiJson(201, RatingViewDto, 'The rating')
  @ApiProblems(400, 401, 403, 404, [409, 'Not ratable yet, or already rated'])
  @Roles('citizen')
  @Post(':id/rating')
  rating(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: RatingDto) {
    return this.applications.rate(user, id, dto.score, dto.comment);
  }

  @ApiOperation({
    summary: 'Upload a document',
    description: 'PDF, JPEG or PNG (checked from the bytes), one file per request, in the field `file`.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: {
        file: { type: 'string', format: 'binary' },
        documentKey: { type: 'string', description: 'Which required document this is' },
        digitised: {
          type: 'string',
          enum: ['true', 'false'],
          description:
            'Staff only: a scan of a paper. Staff uploads of the applicant’s documents to a counter or post dossier are scans unless false',
        },
      },
    },
  })
  @ApiJson(201, DocumentDto, 'The stored document')
  @ApiProblems(400, 401, 403, 404, 409, 413, 415, 422)
  @Roles('citizen', 'clerk', 'supervisor')
  @Post(':id/documents')
  async upload(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Req() req: FastifyRequest,
  ): Promise<StoredDocument> {
    const { fileName, content, fields } = await readOneFile(req, ['documentKey', 'digitised']);
    if (fields.digitised !== undefined && fields.digitised !== 'true' && fields.digitised !== 'false') {
      throw new BadRequest('digitised is true or false.', [{ field: 'digitised', message: 'true or false' }]);
    }
    const digitised = fields.digitised === undefined ? undefined : fields.digitised === 'true';
    return this.documents.upload(user, id, fields.documentKey, { fileName, content }, digitised);
  }

  @ApiOperation({
    summary: 'Reuse an earlier document or result ("do not ask twice")',
    description:
      'Provides a required document with a document or an issued result of an earlier dossier of the same citizen, ' +
      'instead of asking for it again: recorded as a document pointing to its source and a history entry.',
  })
  @ApiJson(201, DocumentDto, 'The document, pointing to its source')
  @ApiProblems(400, 401, 403, 404, 409, 422)
  @Roles('citizen', 'clerk', 'supervisor')
  @Post(':id/documents/reuse')
  reuse(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() dto: ReuseDocumentDto,
  ): Promise<StoredDocument> {
    return this.documents.reuse(user, id, dto);
  }

  @ApiOperation({ summary: 'A dossier’s documents', description: 'Oldest first.' })
  @ApiJson(200, [DocumentDto])
  @ApiProblems(401, 404)
  @Get(':id/documents')
  listDocuments(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.documents.list(user, id);
  }

  @ApiOperation({ summary: 'Download a document', description: 'The bytes as uploaded, as an attachment.' })
  @ApiFile(200, ['application/pdf', 'image/jpeg', 'image/png'], 'The file, as uploaded')
  @ApiProblems(401, 404)
  @Get(':id/documents/:documentId')
  async download(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Param('documentId', UuidParam) documentId: string,
    @Res() reply: FastifyReply,
  ) {
    const doc = await this.documents.download(user, id, documentId);
    reply
      .header('content-type', doc.contentType)
      .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(doc.fileName)}`)
      .header('x-content-type-options', 'nosniff')
      .send(doc.content);
  }
}

@ApiTags('queue')
@Controller('queue')
export class QueueController {
  constructor(private readonly queue: QueueService) {}

  @ApiOperation({
    summary: 'The work queue',
    description: 'The agency’s open dossiers by due date, with filters; counts per state on the first page.',
  })
  @ApiJson(200, QueuePageDto)
  @ApiProblems(400, 401, 403)
  @Roles('clerk', 'supervisor')
  @Get()
  page(@CurrentUser() user: AuthUser, @Query() q: QueueQueryDto) {
    return this.queue.page(user, q);
  }
}

@ApiTags('lookup')
@Controller('lookup')
export class LookupController {
  constructor(private readonly applications: ApplicationsService) {}

  @ApiOperation({
    summary: 'Look a dossier up by code and ID number',
    description: 'No sign-in; rate-limited per address. Unknown code or wrong ID number: the same 404.',
    security: [],
  })
  @ApiJson(200, LookupResultDto)
  @ApiProblems(400, 404, 429)
  @Public()
  @RateLimit('lookup')
  @Get()
  lookup(@Query() q: LookupQueryDto) {
    return this.applications.lookup(q.code, q.idNumber);
  }
}
