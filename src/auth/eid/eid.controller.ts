import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, IsUUID, Length } from 'class-validator';
import { NotFound } from '../../common/problem';
import { ApiJson, ApiProblems } from '../../openapi/responses';
import { RateLimit } from '../../security/rate-limit';
import { Public } from '../auth-user';
import { TokensDto } from '../dto';
import { EidService } from './eid.service';

export class EidStartDto {
  @ApiProperty({ description: "Open it in the device's browser; the provider sends the citizen back to the portal" })
  authorizationUrl: string;

  @ApiProperty({ format: 'uuid', description: 'Keep it: with the code the browser shows, it is traded for tokens' })
  flowId: string;
}

export class EidTokenDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  flowId: string;

  @ApiProperty({ description: 'The one-time code the browser showed after the eID sign-in', example: '3FA9C01B7D2E' })
  @IsString()
  @Length(1, 32)
  code: string;
}

/**
 * eID sign-in for mobile apps (handoff): `start` gives the provider's URL and a flow id; the citizen signs in
 * in the browser, which comes back to the portal's callback and shows a one-time code; the app trades
 * flow id + code for the same tokens as `POST /auth/login`.
 */
@ApiTags('auth')
@Controller('auth/eid')
export class EidController {
  constructor(private readonly eid: EidService) {}

  @ApiOperation({
    summary: 'Start an eID sign-in from a mobile app',
    description:
      'The national eID (OpenID Connect). The browser comes back to /login/eid/callback, which shows a one-time code ' +
      'to type (or hand) back to the app. 404 when eID sign-in is not configured.',
    security: [],
  })
  @ApiJson(200, EidStartDto, 'Where to send the citizen, and the flow id')
  @ApiProblems(404, 429, 503)
  @Public()
  @RateLimit('login')
  @Get('start')
  async start(): Promise<EidStartDto> {
    if (!this.eid.enabled) throw new NotFound('route');
    const { url, flowId } = await this.eid.start({ handoff: true });
    return { authorizationUrl: url, flowId };
  }

  @ApiOperation({
    summary: 'Trade an eID sign-in code for tokens',
    description: 'Once: a wrong, used or expired code answers 401 and spends the flow.',
    security: [],
  })
  @ApiJson(200, TokensDto, 'Access and refresh tokens, as from POST /auth/login')
  @ApiProblems(400, 401, 429)
  @Public()
  @RateLimit('login')
  @Post('token')
  @HttpCode(200)
  token(@Body() dto: EidTokenDto): Promise<TokensDto> {
    return this.eid.exchange(dto.flowId, dto.code);
  }
}
