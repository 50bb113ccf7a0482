/**
 * A slash command's text as Slack sends it, cut into words. Slack escapes `&`, `<` and `>`
 * as entities and writes references in angle brackets: a mention `<@U123|ana>`, an email it
 * linked `<mailto:ana@x.io|ana@x.io>`, a phone `<tel:+4930…|+49 30 …>`, a link
 * `<https://…|…>`. Quotes group words: `team add "Sales EU" ana@x.io`.
 */
export type Word =
  | { kind: 'mention'; slackUserId: string; raw: string }
  | { kind: 'text'; value: string; raw: string };

const WORD = /<[^>]*>|"[^"]*"|\S+/g;

export function splitWords(text: string): Word[] {
  const words: Word[] = [];
  for (const match of text.matchAll(WORD)) {
    const raw = match[0];
    if (raw.startsWith('<') && raw.endsWith('>')) {
      words.push(reference(raw));
    } else if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
      words.push({ kind: 'text', value: unescape(raw.slice(1, -1)).trim(), raw });
    } else {
      words.push({ kind: 'text', value: unescape(raw), raw });
    }
  }
  return words;
}

function reference(raw: string): Word {
  const inner = raw.slice(1, -1);
  const [target = '', label] = inner.split('|', 2);
  const mention = /^@([UW][A-Z0-9]+)$/.exec(target);
  if (mention) return { kind: 'mention', slackUserId: mention[1] as string, raw };
  if (target.startsWith('mailto:')) return { kind: 'text', value: target.slice(7), raw };
  if (target.startsWith('tel:')) return { kind: 'text', value: target.slice(4), raw };
  return { kind: 'text', value: unescape(label ?? target), raw };
}

/** Slack's three entities (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Text that Slack shows as written: the three characters mrkdwn would read as markup. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
