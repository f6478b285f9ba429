import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiTags } from '@nestjs/swagger';
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
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'sha256 must be 64 hex characters' })
  sha256?: string;
}

class DownloadQuery {
  @IsString()
  @Length(10, 500)
  token: string;
}

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
  @Roles('clerk', 'supervisor')
  @Post('applications/:id/result')
  async stage(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string, @Req() req: FastifyRequest) {
    const dossier = await this.applications.find(user, id);
    return this.results.stage(user, dossier, await onePdf(req));
  }

  /** The owner (or the agency's staff) downloads the result; every download is recorded. */
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
  @Roles('citizen')
  @Post('applications/:id/result/link')
  @HttpCode(200)
  async link(@CurrentUser() user: AuthUser, @Param('id', UuidParam) id: string) {
    await this.applications.find(user, id);
    if (!(await this.results.hasIssuedFile(id))) throw new Conflict('No result has been issued yet.', 'no-result');
    return this.results.signedLink(id);
  }

  @Public()
  @Get('results/download')
  async byLink(@Query() q: DownloadQuery, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const dossierId = this.results.readLink(q.token);
    const file = await this.results.download(dossierId, { accountId: null, via: 'link', ip: req.ip ?? null });
    sendPdf(reply, file.content, file.fileName);
  }

  /** Anyone: is this document genuine and unaltered? Give its hash, or none to read the record. */
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
