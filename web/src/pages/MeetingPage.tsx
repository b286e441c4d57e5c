import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, apiErrorMessage } from '../api/client.ts';
import type { components } from '../api/schema.ts';
import { AppHeader } from '../components/AppHeader.tsx';
import { FormError } from '../components/FormError.tsx';
import { LinkSettings, linkSettingsOf } from '../components/LinkSettings.tsx';
import { formatDateTime } from '../lib/format.ts';
import { usePageTitle } from '../lib/page-title.ts';
import { useSession } from '../lib/use-session.ts';

type Meeting = components['schemas']['Meeting'];

export function MeetingPage() {
  const { id = '' } = useParams();
  const session = useSession();
  const [meeting, setMeeting] = useState<Meeting | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<'page' | 'join' | null>(null);
  usePageTitle(meeting?.title ?? 'Meeting');

  useEffect(() => {
    void api.GET('/api/v1/meetings/{id}', { params: { path: { id } } }).then(({ data, error: failed }) => {
      if (failed || !data) setError(apiErrorMessage(failed, 'Could not load the meeting.'));
      else setMeeting(data);
    });
  }, [id]);

  const link = `${window.location.origin}/meetings/${id}`;
  const joinLink = meeting ? `${window.location.origin}/j/${meeting.meetingCode}` : '';
  const copy = async (which: 'page' | 'join') => {
    await navigator.clipboard?.writeText(which === 'page' ? link : joinLink).catch(() => undefined);
    setCopied(which);
  };
  const linkEntry = meeting ? linkSettingsOf(meeting.settings).entry !== 'invited' : false;
  const me = meeting?.participants.find((p) => p.userId === session?.user.id);
  const open = meeting && (meeting.status === 'scheduled' || meeting.status === 'ongoing');

  return (
    <>
      <AppHeader />
      <main className="page narrow">
        <FormError message={error} />
        {meeting && (
          <article className="card">
            <h1>{meeting.title}</h1>
            <dl className="facts">
              <dt>When</dt>
              <dd>
                {formatDateTime(meeting.startTime)} · {meeting.duration} min
              </dd>
              <dt>Status</dt>
              <dd>
                <span className={`status status-${meeting.status}`}>{meeting.status}</span>
              </dd>
              <dt>Meeting code</dt>
              <dd>
                <code data-testid="meeting-code">{meeting.meetingCode}</code>
              </dd>
              <dt>Link</dt>
              <dd className="row">
                <input readOnly value={link} aria-label="Meeting link" className="grow" onFocus={(e) => e.currentTarget.select()} />
                <button type="button" className="button secondary" onClick={() => void copy('page')}>
                  {copied === 'page' ? 'Copied' : 'Copy link'}
                </button>
              </dd>
              <dt>Join link</dt>
              <dd className="row">
                <input readOnly value={joinLink} aria-label="Join link" className="grow" onFocus={(e) => e.currentTarget.select()} />
                <button type="button" className="button secondary" onClick={() => void copy('join')}>
                  {copied === 'join' ? 'Copied' : 'Copy join link'}
                </button>
                {!linkEntry && (
                  <span className="muted">
                    {me?.role === 'host' ? 'Only invited people can use it: choose who can join below.' : 'Only invited people can use it.'}
                  </span>
                )}
              </dd>
              <dt>People</dt>
              <dd>
                {meeting.participants.length} invited{me ? ` · you are ${me.role === 'attendee' ? 'an attendee' : `the ${me.role}`}` : ''}
              </dd>
            </dl>
            {open && me?.role === 'host' && <LinkSettings meeting={meeting} onSaved={setMeeting} />}
            {open ? (
              <Link to={`/meetings/${id}/lobby`} className="button">
                Join meeting
              </Link>
            ) : (
              <Link to={`/meetings/${id}/ended`} className="button secondary">
                See the summary
              </Link>
            )}
          </article>
        )}
      </main>
    </>
  );
}
