import { definitionProblems } from '../procedures/procedures.service';
import { DEMO_PROCEDURES } from './demo-data';

describe('demo procedures', () => {
  it.each(DEMO_PROCEDURES.map((p) => [p.code, p] as const))('%s passes every publishing check', (_code, p) => {
    expect(definitionProblems(p.version as never)).toEqual([]);
  });
});
