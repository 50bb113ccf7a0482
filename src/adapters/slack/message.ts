import type { types } from '@slack/bolt';
import { escape } from './words.js';

/**
 * The bot's answers: Block Kit with a plain-text fallback (`text`, what notifications and
 * screen readers use). Everything the bot says is built here, so every answer looks alike:
 * a first line that says what happened, then the details.
 */
export interface SlackMessage {
  text: string;
  blocks: types.KnownBlock[];
}

/** Slack refuses a section's text over 3,000 characters; long lists are cut into sections. */
const SECTION_LIMIT = 2_900;
/** And a message of more than 50 blocks. */
const BLOCK_LIMIT = 45;

const section = (mrkdwn: string): types.SectionBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: mrkdwn },
});

/**
 * A message: `title` (mrkdwn, already escaped where it quotes anyone's text), then `lines`
 * (each one list item, mrkdwn), then a `note` in small print.
 */
export function message(title: string, lines: readonly string[] = [], note?: string): SlackMessage {
  const blocks: types.KnownBlock[] = [section(title)];
  let chunk = '';
  let cut = false;
  for (const line of lines) {
    if (chunk && chunk.length + line.length + 1 > SECTION_LIMIT) {
      if (blocks.length >= BLOCK_LIMIT) {
        cut = true;
        break;
      }
      blocks.push(section(chunk));
      chunk = '';
    }
    chunk = chunk ? `${chunk}\n${line}` : line.slice(0, SECTION_LIMIT);
  }
  if (chunk && !cut) blocks.push(section(chunk));
  const small = [note, cut ? 'The list is cut short here.' : undefined].filter(Boolean);
  if (small.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: small.join(' ') }] });
  }
  return { text: plain(title), blocks };
}

/** A refusal or an error: one line. */
export function line(text: string): SlackMessage {
  return { text: plain(text), blocks: [section(text)] };
}

/** A message with buttons under it (`actions`): the revoke's confirmation. */
export function withButtons(
  base: SlackMessage,
  buttons: ReadonlyArray<{
    actionId: string;
    text: string;
    value: string;
    style?: 'primary' | 'danger';
  }>,
): SlackMessage {
  return {
    text: base.text,
    blocks: [
      ...base.blocks,
      {
        type: 'actions',
        elements: buttons.map((b) => ({
          type: 'button' as const,
          action_id: b.actionId,
          text: { type: 'plain_text' as const, text: b.text },
          value: b.value,
          ...(b.style ? { style: b.style } : {}),
        })),
      },
    ],
  };
}

/** Text from people (names, previews) placed in mrkdwn, shown as written. */
export const quote = (text: string): string => escape(text);

/** The fallback text of a mrkdwn line: bold and code marks and entities out (ids keep their `_`). */
function plain(mrkdwn: string): string {
  return mrkdwn
    .replace(/[*`]/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
