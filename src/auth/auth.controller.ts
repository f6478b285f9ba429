import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiJson, ApiNoBody, ApiProblems } from '../openapi/responses';
import { RegisteredAccountDto } from './views.dto';
import { clientAddress, RateLimit } from '../security/rate-limit';
import { AuthUser, CurrentUser, Public } from './auth-user';
import { AuthService } from './auth.service';
import {
  AcceptedDto,
  ChangePasswordDto,
  ForgotPasswordDto,
  LoginDto,
  LogoutAllDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
  TokensDto,
} from './dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @ApiOperation({
    summary: 'Register a citizen account',
    description: 'Email and phone are each used by one account; the same 409 for either.',
    security: [],
  })
  @ApiJson(201, RegisteredAccountDto, 'The account was created')
  @ApiProblems(400, [409, 'The email or phone is already registered'], 429)
  @Public()
  @RateLimit('register')
  @Post('register')
  register(@Body() dto: RegisterDto) {
    return this.auth.register(dto);
  }

  @ApiOperation({
    summary: 'Sign in',
    description:
      'By email or phone; a wrong password, unknown identifier or disabled account answer the same 401. Staff ' +
      'accounts with a second factor (or when STAFF_MFA_REQUIRED) also send `otp`: without it the 401 has ' +
      '`code: mfa_required`, with a wrong one `mfa_invalid` (counted by the same throttle as passwords), and a ' +
      'member who has not set it up yet gets `mfa_enrolment_required` (enrol on the pages).',
    security: [],
  })
  @ApiJson(200, TokensDto, 'Access and refresh tokens')
  @ApiProblems(
    400,
    [401, 'Wrong credentials; or, for staff, the second factor is missing, wrong or not set up (`code`)'],
    429,
  )
  @Public()
  @RateLimit('login')
  @Post('login')
  @HttpCode(200)
  login(@Body() dto: LoginDto, @Req() req: { ip?: string }): Promise<TokensDto> {
    return this.auth.login(dto, clientAddress(req));
  }

  @ApiOperation({
    summary: 'Trade a refresh token for new tokens',
    description: 'Refresh tokens rotate; reusing a spent one revokes the whole family.',
    security: [],
  })
  @ApiJson(200, TokensDto, 'New access and refresh tokens')
  @ApiProblems(400, 401)
  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() dto: RefreshDto): Promise<TokensDto> {
    return this.auth.refresh(dto.refreshToken);
  }

  @ApiOperation({
    summary: 'Sign out',
    description: 'Revokes the refresh token; unknown tokens are ignored.',
    security: [],
  })
  @ApiNoBody(204, 'Signed out')
  @ApiProblems(400)
  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Body() dto: RefreshDto): Promise<void> {
    await this.auth.logout(dto.refreshToken);
  }

  /** Sign out everywhere: every refresh token and access token of the account, this one included. */
  @ApiOperation({
    summary: 'Sign out everywhere',
    description: 'Every refresh and access token of the account stops working, this one included.',
  })
  @ApiNoBody(204, 'Every session ended')
  @ApiProblems(400, 401)
  @Post('logout-all')
  @HttpCode(204)
  async logoutAll(@CurrentUser() user: AuthUser, @Body() _dto: LogoutAllDto): Promise<void> {
    await this.auth.logoutAll(user);
  }

  /** Change password (the current one required): other sessions end; the answer carries fresh tokens. */
  @ApiOperation({
    summary: 'Change password',
    description: 'The current password is required; other sessions end and the answer carries fresh tokens.',
  })
  @ApiJson(200, TokensDto, 'Fresh tokens for this session')
  @ApiProblems([400, 'Invalid body, or the current password is not correct'], 401, 429)
  @Post('password')
  @HttpCode(200)
  changePassword(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChangePasswordDto,
    @Req() req: { ip?: string },
  ): Promise<TokensDto> {
    return this.auth.changePassword(user, dto, clientAddress(req));
  }

  /** Mails a single-use reset link (30 minutes) if an account has the address; the same 202 either way. */
  @ApiOperation({
    summary: 'Ask for a password reset link',
    description: 'Mails a single-use link (30 minutes) if an account has the address; the same 202 either way.',
    security: [],
  })
  @ApiJson(202, AcceptedDto, 'Accepted (whether or not the address is known)')
  @ApiProblems(400, 429)
  @Public()
  @RateLimit('password')
  @Post('password/forgot')
  @HttpCode(202)
  forgot(@Body() dto: ForgotPasswordDto): Promise<AcceptedDto> {
    return this.auth.forgotPassword(dto.email);
  }

  /** Sets a new password with the token from the link (`/reset-password?token=...`); every session ends. */
  @ApiOperation({
    summary: 'Reset the password with the emailed token',
    description: 'Every session of the account ends; a spent, expired or unknown token answers 400.',
    security: [],
  })
  @ApiNoBody(204, 'The password was changed')
  @ApiProblems(400, 429)
  @Public()
  @RateLimit('password')
  @Post('password/reset')
  @HttpCode(204)
  async reset(@Body() dto: ResetPasswordDto): Promise<void> {
    await this.auth.resetPassword(dto.token, dto.password);
  }
}
