/**
 * AI SDK messages: the save of a 20-part reply (`messages.upsert`, new id each time) against a
 * plain-text `messages.append`, a resave of the same reply (writes nothing), and the load of a
 * 200-message active path (`messages.activePath`) in a session with 10 branches against the same
 * read of a linear 200-message session. Ratios within one run; the absolute figures depend on the
 * machine.
 */
import type { MessagePart } from '../src/store/types.js';
import type { Bench, BenchContext, Stats } from './lib.js';
import { printTable, stats, timeMany } from './lib.js';

const SAMPLES = 300;
const WARMUP = 20;
const PATH = 200;
const BRANCHES = 10;

/** 4 steps of step-start, reasoning, a tool call with input and output, a source and text: 20 parts. */
export const replyParts = (n: number): MessagePart[] =>
  [1, 2, 3, 4].flatMap((step): MessagePart[] => [
    { type: 'step-start' },
    { type: 'reasoning', text: `Step ${step}: look the question up in the robotics docs.`, state: 'done' },
    {
      type: 'tool-search',
      toolCallId: `call_${n}_${step}`,
      state: 'output-available',
      input: { query: `calibration step ${step}`, k: 5 },
      output: { hits: [1, 2, 3].map((k) => ({ id: `chunk-${step}-${k}`, score: 0.9 - k / 10 })) },
    },
    {
      type: 'source-url',
      sourceId: `src-${step}`,
      url: `https://docs.example.com/arm/${step}`,
      title: `Arm ${step}`,
    },
    {
      type: 'text',
      text: `Part ${step} of the answer: place the arm at rest, then calibrate.`,
      state: 'done',
    },
  ]);

const question = (id: string, parentId?: string) => ({
  id,
  role: 'user' as const,
  parts: [{ type: 'text', text: `How do I calibrate joint ${id}?` }],
  ...(parentId === undefined ? {} : { parentId }),
});

/** A session whose active path has `PATH` messages; with `branches`, that many regenerated siblings off it. */
async function pathSession(ctx: BenchContext, user: string, branches: number): Promise<string> {
  // Ids are unique per user: each session's get its own prefix.
  const t = `b${branches}-`;
  const s = await ctx.chat.sessions.create(user, { title: 'path' });
  const list = Array.from({ length: PATH }, (_, i) =>
    i % 2 === 0
      ? question(`${t}q${i}`)
      : { id: `${t}a${i}`, role: 'assistant' as const, parts: replyParts(i) },
  );
  await ctx.chat.messages.saveMany(user, s.id, list);
  // Regenerations at spread-out points: each a sibling answer with a short continuation under it.
  for (let b = 0; b < branches; b++) {
    const at = 1 + 2 * Math.floor((b * (PATH / 2)) / branches);
    const prefix = list.slice(0, at);
    await ctx.chat.messages.saveMany(user, s.id, [
      ...prefix,
      { id: `${t}alt${b}`, role: 'assistant', parts: replyParts(1000 + b) },
      question(`${t}alt${b}-q`),
    ]);
  }
  await ctx.chat.messages.switchBranch(user, s.id, `${t}a${PATH - 1}`);
  return s.id;
}

const row = (what: string, s: Stats) => ({
  what,
  n: s.n,
  'p50 ms': s.p50,
  'p99 ms': s.p99,
  'mean ms': s.mean,
});

const bench: Bench = {
  name: 'parts',
  description: `save of a 20-part AI SDK reply vs a text append; load of a ${PATH}-message path with ${BRANCHES} branches vs linear`,
  async run(ctx) {
    const user = (
      await ctx.chat.users.register({
        email: `parts-${Date.now()}@bench.example`,
        password: 'correct horse battery',
      })
    ).id;

    ctx.progress('20-part replies');
    const s = await ctx.chat.sessions.create(user, { title: 'saves' });
    let n = 0;
    const save = () =>
      ctx.chat.messages.upsert(user, s.id, { id: `r${n}`, role: 'assistant', parts: replyParts(n++) });
    await timeMany(WARMUP, save);
    const saves = stats(await timeMany(SAMPLES, save));
    const again = stats(
      await timeMany(SAMPLES, (i) =>
        ctx.chat.messages.upsert(user, s.id, { id: `r${i}`, role: 'assistant', parts: replyParts(i) }),
      ),
    );
    const text = () =>
      ctx.chat.messages.append(user, s.id, {
        role: 'assistant',
        content: 'Place the arm at rest, then calibrate.',
      });
    await timeMany(WARMUP, text);
    const appends = stats(await timeMany(SAMPLES, text));

    ctx.progress(`${PATH}-message paths`);
    const branched = await pathSession(ctx, user, BRANCHES);
    const linear = await pathSession(ctx, user, 0);
    const load = (id: string) => () => ctx.chat.messages.activePath(user, id, { limit: PATH });
    const check = await load(branched)();
    if (check.data.length !== PATH)
      throw new Error(`the active path has ${check.data.length} messages, not ${PATH}`);
    await timeMany(WARMUP, load(branched));
    await timeMany(WARMUP, load(linear));
    const loadBranched = stats(await timeMany(SAMPLES, load(branched)));
    const loadLinear = stats(await timeMany(SAMPLES, load(linear)));

    const rows = [
      row('upsert of a new 20-part reply', saves),
      row('upsert of the same reply again (no write)', again),
      row('append of a plain text message', appends),
      row(`activePath, ${PATH} messages, ${BRANCHES} branches`, loadBranched),
      row(`activePath, ${PATH} messages, linear`, loadLinear),
    ];
    printTable(rows);
    const ratios = {
      'reply save / text append (p50)': saves.p50 / appends.p50,
      'resave / save (p50)': again.p50 / saves.p50,
      'branched / linear path load (p50)': loadBranched.p50 / loadLinear.p50,
    };
    for (const [k, v] of Object.entries(ratios)) process.stdout.write(`${k}: ${v.toFixed(2)}x\n`);
    return { samples: SAMPLES, rows, ratios };
  },
};

export default bench;
