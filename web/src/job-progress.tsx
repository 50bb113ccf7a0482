import { useEffect, useRef, useState } from 'preact/hooks';
import type { Job, WorkspaceApi } from './api.js';
import { errorText } from './format.js';

const POLL_MS = 500;

/**
 * Follows a background job (GET /v1/jobs/:id: a revoke, a team's suspension or deletion)
 * until it completes or fails: a labelled progress bar, the running count, then what the job
 * did in words. `onFinished` runs once the job is over, so the view reloads what it moved.
 */
export function JobProgress(props: {
  api: Pick<WorkspaceApi, 'job'>;
  jobId: string;
  /** The progress bar's accessible name, e.g. "Revoking Lee: chats handed over". */
  label: string;
  /** While it runs, e.g. "2 of 5 chats". */
  running: (job: Job) => string;
  completed: (job: Job) => string;
  failed: (job: Job) => string;
  onFinished: () => void;
  /** Take the focus when shown (the control that started the job is gone). */
  focus?: boolean;
}) {
  const { api, jobId } = props;
  const [job, setJob] = useState<Job | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const focus = props.focus ?? false;
  useEffect(() => {
    if (focus) box.current?.focus();
  }, [focus]);
  const [error, setError] = useState<string | null>(null);
  const finished = props.onFinished;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () => {
      api.job(jobId).then(
        (j) => {
          if (stopped) return;
          setJob(j);
          if (j.state === 'completed' || j.state === 'failed') finished();
          else timer = setTimeout(poll, POLL_MS);
        },
        (e: unknown) => {
          if (!stopped) setError(errorText(e));
        },
      );
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, jobId, finished]);

  const over = job?.state === 'completed' || job?.state === 'failed';
  const total = job?.progress.total ?? 0;
  // A finished job fills the bar even when it had nothing to move (total 0).
  const max = Math.max(total, 1);
  const value = over ? max : Math.min(job?.progress.done ?? 0, max);
  return (
    <div
      ref={box}
      class="job"
      tabIndex={focus ? -1 : undefined}
      data-job-id={jobId}
      data-state={job?.state ?? 'waiting'}
    >
      <label>
        {props.label}
        <progress max={max} value={job ? value : undefined} />
      </label>
      {job?.state === 'completed' ? (
        <p role="status">{props.completed(job)}</p>
      ) : job?.state === 'failed' ? (
        <p role="alert">{props.failed(job)}</p>
      ) : (
        <p class="hint" aria-live="polite">
          {job ? props.running(job) : 'Starting…'}
        </p>
      )}
      {error ? <p role="alert">{error}</p> : null}
    </div>
  );
}
