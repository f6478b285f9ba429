import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
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
  UpdateApplicationDto,
} from './dto';
import { DossierView } from './dossier.view';
import { QueueService } from './queue.service';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;
const ACTION_KEY = /^[a-z][a-z0-9_]{0,63}$/;

@ApiTags('applications')
@Controller('applications')
export class ApplicationsController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly documents: DocumentsService,
  ) {}

  @Roles('citizen')
  @Post()
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateApplicationDto): Promise<DossierView> {
    return this.applications.create(user, dto);
  }

  @Get()
  list(@CurrentUser() user: AuthUser, @Query() q: ListQueryDto) {
    return this.applications.list(user, q.limit, q.cursor);
  }

  @Get(':id')
  get(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string): Promise<DossierView> {
    return this.applications.get(user, id);
  }

  @Roles('citizen', 'clerk', 'supervisor')
  @Patch(':id')
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() dto: UpdateApplicationDto,
  ): Promise<DossierView> {
    return this.applications.update(user, id, dto);
  }

  @Get(':id/history')
  history(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.applications.history(user, id);
  }

  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '8-128 characters; repeat it to retry safely' })
  @Roles('citizen')
  @Post(':id/submit')
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
  @Roles('citizen')
  @Post(':id/rating')
  rating(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Body() dto: RatingDto) {
    return this.applications.rate(user, id, dto.score, dto.comment);
  }

  @Roles('citizen', 'clerk', 'supervisor')
  @Post(':id/documents')
  async upload(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Req() req: FastifyRequest,
  ): Promise<StoredDocument> {
    const { fileName, content, fields } = await readOneFile(req, ['documentKey']);
    return this.documents.upload(user, id, fields.documentKey, { fileName, content });
  }

  @Get(':id/documents')
  listDocuments(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    return this.documents.list(user, id);
  }

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

  @Public()
  @RateLimit('lookup')
  @Get()
  lookup(@Query() q: LookupQueryDto) {
    return this.applications.lookup(q.code, q.idNumber);
  }
}
