import { STANDARD_WORKFLOW } from '../../workflow/examples';
import { texts } from '../i18n';
import { diffVersions, type ComparableVersion } from './version-diff';
import { readJson } from './json-text';
import { diagramWords, DiagramSvg } from './workflow-diagram';
import { layoutWorkflow, marksOf } from './workflow-layout';

const words = diagramWords(texts('en'));

describe('layoutWorkflow', () => {
  it('places every state and one labelled edge per (action, from state)', () => {
    const l = layoutWorkflow(STANDARD_WORKFLOW, words);
    expect(l.nodes.map((n) => n.key)).toEqual(STANDARD_WORKFLOW.states.map((s) => s.key));
    const edgeCount = STANDARD_WORKFLOW.actions.reduce((n, a) => n + a.from.length, 0);
    expect(l.edges).toHaveLength(edgeCount);
    expect(l.edges.find((x) => x.action === 'submit')).toMatchObject({
      from: 'draft',
      to: 'submitted',
      label: 'submit (citizen)',
    });
    for (const n of l.nodes) {
      expect(n.x - n.width / 2).toBeGreaterThanOrEqual(0);
      expect(n.x + n.width / 2).toBeLessThanOrEqual(l.width);
    }
    for (const x of l.edges) expect(x.points.length).toBeGreaterThanOrEqual(2);
    expect(l.nodes.find((n) => n.key === 'draft')!.lines).toEqual(['draft', '▶ start', '◷ clock stopped']);
    expect(l.nodes.find((n) => n.key === 'completed')!.lines).toEqual(['completed', '■ end']);
    expect(l.nodes.find((n) => n.key === 'processing')!.lines).toContain('◷ clock running');
  });

  it('is deterministic', () => {
    expect(layoutWorkflow(STANDARD_WORKFLOW, words)).toEqual(layoutWorkflow(STANDARD_WORKFLOW, words));
  });

  it('draws a broken definition: an unknown target as a marked box, problems marked by path', () => {
    const wf = {
      states: [{ key: 'draft' }, { key: 'done', terminal: true }],
      actions: [
        { key: 'submit', from: ['draft'], to: 'nowhere', by: ['citizen'] },
        { key: 'finish', from: ['draft'], to: 'done', by: ['clerk'] },
        { nonsense: true },
      ],
    };
    const marks = marksOf(['workflow.actions[0].to', 'workflow.states[1]', 'workflow.states'], wf);
    expect(marks).toEqual({ states: new Set(['done']), actions: new Set([0]) });
    const l = layoutWorkflow(wf, words, marks);
    expect(l.nodes.find((n) => n.key === 'nowhere')).toMatchObject({ unknown: true, marked: true });
    expect(l.nodes.find((n) => n.key === 'done')).toMatchObject({ marked: true, terminal: true });
    expect(l.edges.map((x) => [x.action, x.marked])).toEqual([
      ['submit', true],
      ['finish', false],
    ]);
    expect(layoutWorkflow('not a workflow', words)).toMatchObject({ nodes: [], edges: [] });
  });

  it('renders an accessible SVG with the states, the actions and the problem marks', async () => {
    const l = layoutWorkflow(
      {
        states: [{ key: 'draft', start: true }],
        actions: [{ key: 'submit', from: ['draft'], to: 'x', by: ['citizen'] }],
      },
      words,
      { actions: new Set([0]) },
    );
    const svg = await DiagramSvg({ layout: l, title: 'T', desc: 'D', id: 'd' });
    expect(svg).toMatch(/^<svg[^>]* role="img"[^>]* aria-labelledby="d-title d-desc"/);
    expect(svg).toContain('<title id="d-title">T</title>');
    expect(svg).toContain('⚠ submit (citizen)');
    expect(svg).toContain('stroke-dasharray="6 3"');
    expect(svg).toContain('>draft</tspan>');
  });
});

describe('readJson', () => {
  it('says where JSON breaks', () => {
    expect(readJson('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(readJson('{\n  "a": }')).toEqual({ ok: false, line: 2, column: 8 });
    expect(readJson('[1, 2')).toEqual({ ok: false, line: 1, column: 6 });
    expect(readJson('{"a": tru}')).toEqual({ ok: false, line: 1, column: 7 });
  });
});

describe('diffVersions', () => {
  const v = (over: Partial<ComparableVersion> = {}): ComparableVersion => ({
    formSchema: { type: 'object', required: ['a'], properties: { a: { type: 'string' }, b: { type: 'integer' } } },
    workflow: STANDARD_WORKFLOW,
    requiredDocuments: [{ key: 'id_card', name: 'ID', required: true }],
    fees: [{ kind: 'fee', name: 'Fee', amount: 1000 }],
    feeTiming: 'after_approval',
    processingDays: 5,
    deliveryOptions: ['online'],
    postalFeeVnd: 0,
    refundable: true,
    resultTemplate: null,
    ...over,
  });

  it('finds nothing between equal versions, whatever the key order', () => {
    const a = v();
    const b = v({
      formSchema: { properties: { b: { type: 'integer' }, a: { type: 'string' } }, required: ['a'], type: 'object' },
    });
    expect(Object.values(diffVersions(a, b)).flat()).toEqual([]);
  });

  it('lists fields, states, actions, documents, fees and settings added, removed and changed', () => {
    const b = v({
      formSchema: { type: 'object', required: [], properties: { a: { type: 'string' }, c: { type: 'string' } } },
      workflow: {
        states: [...STANDARD_WORKFLOW.states.filter((s) => s.key !== 'withdrawn'), { key: 'archived', terminal: true }],
        actions: STANDARD_WORKFLOW.actions.map((a) => (a.key === 'submit' ? { ...a, by: ['citizen', 'clerk'] } : a)),
      },
      requiredDocuments: [],
      fees: [{ kind: 'fee', name: 'Fee', amount: 2000 }],
      processingDays: 7,
    });
    const d = diffVersions(v(), b);
    expect(d.formSchema.map((c) => [c.kind, c.item])).toEqual([
      ['changed', 'a'],
      ['removed', 'b'],
      ['added', 'c'],
    ]);
    expect(d.states.map((c) => [c.kind, c.item])).toEqual([
      ['removed', 'withdrawn'],
      ['added', 'archived'],
    ]);
    expect(d.actions).toEqual([expect.objectContaining({ kind: 'changed', item: 'submit' })]);
    expect(d.requiredDocuments.map((c) => [c.kind, c.item])).toEqual([['removed', 'id_card']]);
    expect(d.fees).toEqual([expect.objectContaining({ kind: 'changed', item: 'Fee' })]);
    expect(d.settings).toEqual([{ kind: 'changed', item: 'processingDays', before: '5', after: '7' }]);
  });
});
