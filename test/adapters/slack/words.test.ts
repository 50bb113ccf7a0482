import { describe, expect, it } from 'vitest';
import { escape, splitWords } from '../../../src/adapters/slack/words.js';

describe('a slash command’s words as Slack sends them', () => {
  it('reads mentions, linked emails and phones, quoted names and Slack’s entities', () => {
    const words = splitWords(
      'team add "Sales EU" <@U012AB|ana> <mailto:Bo@x.io|Bo@x.io> <tel:+4930123|+49 30 123> a&amp;b &lt;x&gt;',
    );
    expect(words.map((w) => (w.kind === 'mention' ? `@${w.slackUserId}` : w.value))).toEqual([
      'team',
      'add',
      'Sales EU',
      '@U012AB',
      'Bo@x.io',
      '+4930123',
      'a&b',
      '<x>',
    ]);
  });

  it('a mention without a label, extra spaces and an empty text', () => {
    expect(splitWords('  revoke   <@W0ABC>  ')).toEqual([
      { kind: 'text', value: 'revoke', raw: 'revoke' },
      { kind: 'mention', slackUserId: 'W0ABC', raw: '<@W0ABC>' },
    ]);
    expect(splitWords('')).toEqual([]);
  });

  it('escapes what mrkdwn would read as markup, so a name shows as written', () => {
    expect(escape('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });
});
