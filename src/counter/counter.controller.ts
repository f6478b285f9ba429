import { Body, Controller, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DossierView } from '../applications/dossier.view';
import { CurrentUser, Roles } from '../auth/auth-user';
import type { AuthUser } from '../auth/auth-user';
import { ApiJson, ApiProblems } from '../openapi/responses';
import { CounterService } from './counter.service';
import { CounterApplicationDto } from './dto';

@ApiTags('counter')
@Controller('counter')
export class CounterController {
  constructor(private readonly counter: CounterService) {}

  @ApiOperation({
    summary: 'File a dossier at the counter (or record one received by post)',
    description:
      'By a clerk of the procedure’s agency, or of another agency of the same province (province-wide acceptance: ' +
      'the dossier is routed to the competent agency’s queue; `receivedAgencyCode` names the counter, whose staff ' +
      'keep reading it and its form 01 without working it), for a citizen found by verified ID number or made from the card: ' +
      'creates the dossier (`channel` counter or post) and takes it through `submit` and `receive` in one step ' +
      '(code, due date from the channel’s time limit, receipt: form 01). The papers are then scanned with ' +
      'POST /applications/{id}/documents (marked digitised, with who digitised them).',
  })
  @ApiJson(201, DossierView, 'The received dossier')
  @ApiProblems(
    400,
    401,
    [403, 'Not a clerk, or the procedure is of an agency of another province'],
    [409, 'The workflow has no receipt by a clerk after submission'],
    422,
  )
  @Roles('clerk', 'supervisor')
  @Post('applications')
  file(@CurrentUser() user: AuthUser, @Body() dto: CounterApplicationDto): Promise<DossierView> {
    return this.counter.file(user, dto);
  }
}
