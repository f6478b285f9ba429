import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiBody, ApiConsumes, ApiOperation, ApiPropertyOptional, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiFile, ApiJson, ApiProblems } from '../openapi/responses';
import { ResultLinkDto, StagedResultDto, VerificationDto } from './views.dto';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ApplicationsService } from '../applications/applications.service';
import { CurrentUser, isStaff, Public, Roles } from '../auth/auth-user';
import type { AuthUser } from '../auth/auth-user';
import { Conflict, NotFound } from '../common/problem';
import { UuidParam } from '../common/uuid.pipe';
import { RateLimit } from '../security/rate-limit';
import { readOneFile } from '../storage/upload';
import { ResultsService } from './results.service';

class VerifyQuery {
  @ApiPropertyOptional({ description: 'SHA-256 of the document (hex)', pattern: '^[0-9a-fA-F]{64}$' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'sha256 must be 64 hex characters' })
  sha256?: string;
}

class DownloadQuery {
  @ApiProperty({ description: 'The token of the signed link' })
  @IsString()
  @Length(10, 500)
  token: string;
}

const PDF_UPLOAD = {
  type: 'object' as const,
  required: ['file'],
  properties: { file: { type: 'string' as const, format: 'binary' } },
};

const VERIFY_CODE = /^[A-Za-z0-9]{6,20}$/;

/** The one file of a multipart upload (the shared rules: src/storage/upload.ts). */
async function onePdf(req: FastifyRequest): Promise<Buffer> {
  return (await readOneFile(req)).content;
}

function sendPdf(reply: FastifyReply, content: Buffer, fileName: string) {
  reply
    .header('content-type', 'application/pdf')
    .header('content-disposition', `attachment; filename="${fileName}"`)
    .header('cache-control', 'private, no-store')
    .send(content);
}

@ApiTags('results')
@Controller()
export class ResultsController {
  constructor(
    private readonly results: ResultsService,
    private readonly applications: ApplicationsService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** The clerk attaches the signed result (PDF) before taking the issuing action. */
  @ApiOperation({
    summary: 'Attach the signed result (PDF)',
    description: 'Staged until the issuing action; replaces an earlier staged file.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: PDF_UPLOAD })
  @ApiJson(201, StagedResultDto, 'The staged result')
  @ApiProblems(400, 401, 403, 404, [409, 'A result was already issued'], 413, 415, 422)
  @Roles('clerk', 'supervisor')
  @Post('applications/:id/result')
  async stage(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Req() req: FastifyRequest) {
    const dossier = await this.applications.find(user, id);
    return this.results.stage(user, dossier, await onePdf(req));
  }

  /** The owner (or the agency's staff) downloads the result; every download is recorded. */
  @ApiOperation({ summary: 'Download the result (PDF)', description: 'Every download is recorded.' })
  @ApiFile(200, 'application/pdf', 'The result')
  @ApiProblems(401, 403, [404, 'Not found, not yours, or no result yet'])
  @Roles('citizen', 'clerk', 'supervisor')
  @Get('applications/:id/result')
  async download(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    await this.applications.find(user, id);
    const file = await this.results.download(id, {
      accountId: user.id,
      via: isStaff(user) ? 'staff' : 'owner',
      ip: req.ip ?? null,
    });
    sendPdf(reply, file.content, file.fileName);
  }

  /** A download link that works without signing in, for 15 minutes (to open on another device). */
  @ApiOperation({
    summary: 'A download link for another device',
    description: 'Works without signing in, for 15 minutes.',
  })
  @ApiJson(200, ResultLinkDto)
  @ApiProblems(401, 403, 404, [409, 'No result has been issued yet'])
  @Roles('citizen')
  @Post('applications/:id/result/link')
  @HttpCode(200)
  async link(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    await this.applications.find(user, id);
    if (!(await this.results.hasIssuedFile(id))) throw new Conflict('No result has been issued yet.', 'no-result');
    return this.results.signedLink(id);
  }

  @ApiOperation({ summary: 'Download the result by a signed link', description: 'No sign-in.', security: [] })
  @ApiFile(200, 'application/pdf', 'The result')
  @ApiProblems(400, 404, [410, 'The link has expired'])
  @Public()
  @Get('results/download')
  async byLink(@Query() q: DownloadQuery, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const dossierId = this.results.readLink(q.token);
    const file = await this.results.download(dossierId, { accountId: null, via: 'link', ip: req.ip ?? null });
    sendPdf(reply, file.content, file.fileName);
  }

  /** Anyone: is this document genuine and unaltered? Give its hash, or none to read the record. */
  @ApiOperation({
    summary: 'Verify a document by code (and hash)',
    description: 'Anyone: genuine and unaltered? Without a hash, reads the record; no personal data.',
    security: [],
  })
  @ApiJson(200, VerificationDto)
  @ApiProblems(400, 404)
  @Public()
  @Get('verify/:code')
  verify(@Param('code') code: string, @Query() q: VerifyQuery) {
    if (!VERIFY_CODE.test(code)) throw new NotFound('code');
    return this.results.verify(code, q.sha256);
  }

  /**
   * Anyone: upload the file itself; the portal hashes it and compares.
   * Rate-limited per address, and the code is looked up before the body is
   * read (multipart is streamed, nothing reads it before this handler): an
   * unknown code answers 404 without taking the upload in.
   */
  @ApiOperation({
    summary: 'Verify a document by uploading it',
    description:
      'The portal hashes the file and compares; rate-limited per address; an unknown code answers 404 first.',
    security: [],
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: PDF_UPLOAD })
  @ApiJson(200, VerificationDto)
  @ApiProblems(400, 404, 413, 415, 422, 429)
  @Public()
  @RateLimit('verify')
  @Post('verify/:code')
  @HttpCode(200)
  async verifyFile(@Param('code') code: string, @Req() req: FastifyRequest) {
    if (!VERIFY_CODE.test(code)) throw new NotFound('code');
    await this.results.verify(code);
    const content = await onePdf(req);
    return this.results.verify(code, createHash('sha256').update(content).digest('hex'));
  }
}
