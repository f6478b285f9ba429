import { DynamicModule, Module } from '@nestjs/common';
import { SandboxIpnSender } from './sandbox-ipn.sender';
import { DEFAULT_SANDBOX_VNPAY_OPTIONS, SANDBOX_VNPAY_OPTIONS, SandboxVnpayOptions } from './sandbox.options';
import { SandboxGuard } from '../../sandbox/sandbox.guard';
import { SandboxVnpayController } from './sandbox-vnpay.controller';
import { SandboxVnpayRepository } from './sandbox-vnpay.repository';
import { SandboxVnpayService } from './sandbox-vnpay.service';

export interface SandboxVnpayModuleOptions extends Partial<SandboxVnpayOptions> {
  /** false: mount nothing at all. Either way every route answers 404 unless SANDBOX_ENABLED is 'true'. */
  enabled?: boolean;
}

/**
 * The built-in VNPay sandbox gateway (development and tests). Exports
 * nothing: the portal talks to it over HTTP through VNPAY_PAY_URL and
 * VNPAY_API_URL, exactly as to the real gateway. Needs the global
 * ConfigModule and TypeOrmModule.
 */
@Module({})
export class SandboxVnpayModule {
  static register(options: SandboxVnpayModuleOptions = {}): DynamicModule {
    const { enabled = true, ...tunables } = options;
    if (!enabled) return { module: SandboxVnpayModule };
    const resolved: SandboxVnpayOptions = { ...DEFAULT_SANDBOX_VNPAY_OPTIONS, ...stripUndefined(tunables) };
    return {
      module: SandboxVnpayModule,
      controllers: [SandboxVnpayController],
      providers: [
        { provide: SANDBOX_VNPAY_OPTIONS, useValue: resolved },
        SandboxGuard,
        SandboxVnpayRepository,
        SandboxIpnSender,
        SandboxVnpayService,
      ],
    };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
