import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, apiErrorMessage } from '../api/client.ts';
import type { components } from '../api/schema.ts';
import { describeConnection } from '../call/connection-machine.ts';
import { AppHeader } from '../components/AppHeader.tsx';
import { FormError } from '../components/FormError.tsx';
import { TalkTimeChart } from '../components/TalkTimeChart.tsx';
import { formatDuration } from '../lib/format.ts';
import { callEnding } from '../lib/lobby-handoff.ts';
import { usePageTitle } from '../lib/page-title.ts';
import { useSession } from '../lib/use-session.ts';

type MeetingSummary = components['schemas']['MeetingSummary'];

/** How long the end screen waits for the media node's summary, in ms. */
const SUMMARY_WAIT_MS = 180_000;
const POLL_MS = 3_000;

/** After the call: why it ended, the meeting's numbers, its summary and the talk-time chart. */
export function EndedPage() {
  usePageTitle('Meeting over');
  const { id = '' } = useParams();
  const ending = callEnding.get(id);
  // A guest has no account: no summary to read (the API is for signed-in participants), no meetings list.
  const guest = useSession() === null;
  const [summary, setSummary] = useState<MeetingSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [waiting, setWaiting] = useState(true);

  useEffect(() => {
    if (guest) {
      setWaiting(false);
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const started = Date.now();
    const poll = async () => {
      const { data, error: failed } = await api.GET('/api/v1/meetings/{id}/summary', { params: { path: { id } } });
      if (stopped) return;
      if (failed || !data) {
        setError(apiErrorMessage(failed, 'Could not load the summary.'));
        setWaiting(false);
        return;
      }
      setSummary(data);
      // The summary is written a little after the end; the meeting may also go on (you left it).
      if (data.summarizedAt || data.status !== 'ended' || Date.now() - started > SUMMARY_WAIT_MS) setWaiting(false);
      else timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [id, guest]);

  const reason = ending ? describeConnection({ phase: 'ended', reason: ending.reason as 'left' }) : null;
  const talkTime = summary?.talkTime?.length ? summary.talkTime : (ending?.talkTime ?? []);
  return (
    <>
      <AppHeader />
      <main className="page narrow" data-testid="end-screen">
        <h1>{summary?.status === 'ended' ? 'The meeting has ended' : 'You left the meeting'}</h1>
        {reason && ending?.reason !== 'meeting_ended' && <p className="lead">{reason}.</p>}
        <FormError message={error} />
        {summary && (
          <article className="card">
            <h2>{summary.title}</h2>
            {summary.stats && (
              <dl className="facts">
                <dt>Length</dt>
                <dd>{formatDuration(summary.stats.durationSeconds * 1000)}</dd>
                <dt>People</dt>
                <dd>
                  {summary.stats.participantCount} (at most {summary.stats.peakParticipants} at once)
                </dd>
              </dl>
            )}
            <h3>Summary</h3>
            {summary.summary?.length ? (
              <ul data-testid="summary">
                {summary.summary.map((sentence) => (
                  <li key={sentence}>{sentence}</li>
                ))}
              </ul>
            ) : (
              <p className="muted" aria-live="polite">
                {waiting ? 'The summary is being written…' : 'No summary for this meeting.'}
              </p>
            )}
            {summary.keywords && summary.keywords.length > 0 && (
              <p>
                <strong>Keywords:</strong> {summary.keywords.map((k) => k.term).join(', ')}
              </p>
            )}
            <h3>Talk time</h3>
            <TalkTimeChart entries={talkTime} />
          </article>
        )}
        {guest && ending?.reason !== 'meeting_ended' && <p>Thanks for joining as a guest.</p>}
        <p className="row">
          {guest ? (
            <Link to={`/meetings/${id}/lobby`} className="button secondary">
              Rejoin
            </Link>
          ) : (
            <Link to="/" className="button">
              Back to meetings
            </Link>
          )}
          {summary && summary.status !== 'ended' && summary.status !== 'cancelled' && (
            <Link to={`/meetings/${id}/lobby`} className="button secondary">
              Rejoin
            </Link>
          )}
        </p>
      </main>
    </>
  );
}
