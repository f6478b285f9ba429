import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
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

  @Public()
  @RateLimit('register')
  @Post('register')
  register(@Body() dto: RegisterDto) {
    return this.auth.register(dto);
  }

  @Public()
  @RateLimit('login')
  @Post('login')
  @HttpCode(200)
  login(@Body() dto: LoginDto, @Req() req: { ip?: string }): Promise<TokensDto> {
    return this.auth.login(dto, clientAddress(req));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() dto: RefreshDto): Promise<TokensDto> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Body() dto: RefreshDto): Promise<void> {
    await this.auth.logout(dto.refreshToken);
  }

  /** Sign out everywhere: every refresh token and access token of the account, this one included. */
  @Post('logout-all')
  @HttpCode(204)
  async logoutAll(@CurrentUser() user: AuthUser, @Body() _dto: LogoutAllDto): Promise<void> {
    await this.auth.logoutAll(user);
  }

  /** Change password (the current one required): other sessions end; the answer carries fresh tokens. */
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
  @Public()
  @RateLimit('password')
  @Post('password/forgot')
  @HttpCode(202)
  forgot(@Body() dto: ForgotPasswordDto): Promise<AcceptedDto> {
    return this.auth.forgotPassword(dto.email);
  }

  /** Sets a new password with the token from the link (`/reset-password?token=...`); every session ends. */
  @Public()
  @RateLimit('password')
  @Post('password/reset')
  @HttpCode(204)
  async reset(@Body() dto: ResetPasswordDto): Promise<void> {
    await this.auth.resetPassword(dto.token, dto.password);
  }
}
