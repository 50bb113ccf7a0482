import { describe, expect, it } from 'vitest';
import { stoppedFollowing, type FollowStop } from '../../../src/adapters/slack/bot.js';

/**
 * The last line of a revoke's message when following its job stops before the job ends. The
 * caller losing the right to follow is provoked end to end (slack-bot.e2e.test.ts); the time
 * limit (29 minutes) and a shutdown are not, so their wording is checked here.
 */
describe('stoppedFollowing', () => {
  const reasons: FollowStop[] = ['lost', 'time', 'shutdown', 'error'];

  it('is one line naming the job and saying that it goes on in the background', () => {
    for (const why of reasons) {
      const m = stoppedFollowing('/sb', 'job_123', why);
      expect(m.blocks, why).toHaveLength(1);
      expect(m.text, why).toContain('Stopped following the revoke job job_123');
      expect(m.text, why).toContain('goes on in the background');
      expect(m.text, why).not.toContain('`');
    }
  });

  it('points to the configured command’s jobs where the caller may still follow it', () => {
    for (const why of ['time', 'shutdown', 'error'] as const) {
      const m = stoppedFollowing('/sb', 'job_123', why);
      expect(m.text, why).toContain('/sb jobs shows it');
      expect(m.text, why).not.toContain('/switchboard');
    }
    expect(stoppedFollowing('/sb', 'job_123', 'time').text).toContain('longer than Slack lets');
    expect(stoppedFollowing('/sb', 'job_123', 'shutdown').text).toContain('shutting down');
    expect(stoppedFollowing('/sb', 'job_123', 'lost').text).toContain(
      'you may no longer follow it',
    );
  });
});
