import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import {
  enterByLink,
  leaveLobby,
  LinkError,
  previewLink,
  rememberAdmission,
  waitForTicket,
  type MeetingPreview,
} from '../api/link-entry.ts';
import { AppHeader } from '../components/AppHeader.tsx';
import { FormError } from '../components/FormError.tsx';
import { formatDateTime } from '../lib/format.ts';
import { usePageTitle } from '../lib/page-title.ts';
import { useFormAction } from '../lib/use-form-action.ts';
import { useSession } from '../lib/use-session.ts';

/** Where the visitor is: looking at the preview, waiting in the lobby, or turned away. */
type Stage =
  | { kind: 'loading' }
  | { kind: 'unavailable'; message: string }
  | { kind: 'preview'; preview: MeetingPreview }
  | { kind: 'waiting'; preview: MeetingPreview; ticketId: string }
  | { kind: 'denied'; preview: MeetingPreview; message: string };

/** What a failed preview tells the visitor. */
function unavailableMessage(error: unknown): string {
  if (error instanceof LinkError && error.status === 429) return 'Too many attempts from here. Wait a while and open the link again.';
  if (error instanceof LinkError && error.status === 400) return 'This is not a meeting link: a meeting code looks like abc-defg-hij.';
  return 'This link does not open a meeting: it may be mistyped, the meeting may be for invited people only, or it is over.';
}

/**
 * /j/{code}: a meeting's link. Shows what the meeting is and whether a lobby applies,
 * asks guests for their name, knocks, waits on the ticket (a long-poll) and, once let
 * in, goes to the device check and the call. Works without an account when the host
 * allows guests.
 */
export function JoinLinkPage() {
  const { code = '' } = useParams();
  const session = useSession();
  const navigate = useNavigate();
  const [stage, setStage] = useState<Stage>({ kind: 'loading' });
  const waiting = useRef<AbortController | null>(null);
  usePageTitle(stage.kind === 'waiting' ? 'Waiting to be let in' : stage.kind === 'preview' ? stage.preview.title : 'Join a meeting');

  const load = useCallback(async () => {
    try {
      setStage({ kind: 'preview', preview: await previewLink(code) });
    } catch (error) {
      setStage({ kind: 'unavailable', message: unavailableMessage(error) });
    }
  }, [code]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a sign-in or sign-out changes what the link offers (the client sends the session): read it again.
  useEffect(() => {
    void load();
  }, [load, session?.user.id]);
  useEffect(() => () => waiting.current?.abort(), []);

  const admitted = useCallback(
    (meetingId: string) => {
      rememberAdmission(code, meetingId);
      navigate(`/meetings/${meetingId}/lobby`);
    },
    [code, navigate],
  );

  /** Polls the ticket until it is settled (each poll keeps the place in the lobby). */
  const wait = useCallback(
    async (preview: MeetingPreview, ticketId: string) => {
      waiting.current?.abort();
      const controller = new AbortController();
      waiting.current = controller;
      setStage({ kind: 'waiting', preview, ticketId });
      let failures = 0;
      while (!controller.signal.aborted) {
        try {
          const status = await waitForTicket(code, ticketId, 20, controller.signal);
          failures = 0;
          if (status.status === 'admitted') return admitted(status.meetingId);
          if (status.status === 'denied') {
            const message =
              status.reason === 'meeting_ended'
                ? 'The meeting ended before anyone let you in.'
                : status.reason === 'meeting_locked'
                  ? 'The host locked the meeting before you could join.'
                  : `The host did not let you in${status.message ? `: “${status.message}”` : '.'}`;
            return setStage({ kind: 'denied', preview, message });
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          if (error instanceof LinkError && error.status !== 429 && error.status < 500) {
            const message =
              error.code === 'ticket_expired' ? 'Nobody let you in in time. You can ask again.' : 'Your place in the lobby is gone. You can ask again.';
            return setStage({ kind: 'denied', preview, message });
          }
          // A network hiccup or an overloaded server: try again shortly.
          failures += 1;
          await new Promise((r) => setTimeout(r, Math.min(10_000, 1_000 * 2 ** failures)));
        }
      }
    },
    [code, admitted],
  );

  const { busy, error, onSubmit } = useFormAction(async (form) => {
    if (stage.kind !== 'preview' && stage.kind !== 'denied') return;
    const name = form.get('displayName');
    try {
      const result = await enterByLink(code, typeof name === 'string' ? name : undefined);
      if (result.status === 'admitted') admitted(result.meetingId);
      else void wait(stage.preview, result.ticketId);
    } catch (e) {
      if (e instanceof LinkError && e.code === 'meeting_locked') await load();
      throw e;
    }
  });

  const cancel = async () => {
    if (stage.kind !== 'waiting') return;
    waiting.current?.abort();
    await leaveLobby(code, stage.ticketId);
    setStage({ kind: 'preview', preview: stage.preview });
  };

  return (
    <>
      <AppHeader />
      <main className="page narrow join-link">
        {stage.kind === 'loading' && <p aria-live="polite">Opening the link…</p>}
        {stage.kind === 'unavailable' && (
          <article className="card">
            <h1>Can’t open this meeting</h1>
            <p role="alert">{stage.message}</p>
            <Link to="/">Go to your meetings</Link>
          </article>
        )}
        {stage.kind !== 'loading' && stage.kind !== 'unavailable' && (
          <article className="card" data-testid="link-preview">
            <h1>{stage.preview.title}</h1>
            <dl className="facts">
              <dt>Host</dt>
              <dd>{stage.preview.hostName}</dd>
              <dt>{stage.preview.status === 'ongoing' ? 'Started' : 'Starts'}</dt>
              <dd>{formatDateTime(stage.preview.startTime)}</dd>
            </dl>
            {stage.kind === 'waiting' ? (
              <div className="waiting" data-testid="lobby-waiting" role="status" aria-live="polite">
                <p className="lead">Waiting for the host to let you in…</p>
                <p className="muted">Keep this page open. You will join as soon as someone admits you.</p>
                <button type="button" className="button secondary" onClick={() => void cancel()}>
                  Leave the lobby
                </button>
              </div>
            ) : (
              <EntryForm preview={stage.preview} signedIn={session !== null} code={code} busy={busy} onSubmit={onSubmit}>
                {stage.kind === 'denied' && (
                  <p role="alert" className="lead" data-testid="lobby-denied">
                    {stage.message}
                  </p>
                )}
              </EntryForm>
            )}
            {stage.kind !== 'waiting' && <FormError message={error} />}
          </article>
        )}
      </main>
    </>
  );
}

/** The part of the preview that lets this visitor in, asks for a name, or explains why not. */
function EntryForm({
  preview,
  signedIn,
  code,
  busy,
  onSubmit,
  children,
}: {
  preview: MeetingPreview;
  signedIn: boolean;
  code: string;
  busy: boolean;
  onSubmit: (event: FormEvent<HTMLFormElement>) => Promise<void>;
  children: ReactNode;
}) {
  const next = encodeURIComponent(`/j/${code}`);
  if (preview.signInRequired) {
    return (
      <p>
        This meeting is for signed-in people. <Link to={`/signin?next=${next}`}>Sign in</Link> or{' '}
        <Link to={`/signup?next=${next}`}>create an account</Link> to ask to join.
      </p>
    );
  }
  if (preview.locked && !preview.participant) {
    return <p role="status">The host has locked this meeting: nobody new can join right now.</p>;
  }
  const guest = !signedIn && !preview.participant;
  const label = preview.participant || !preview.lobby ? 'Join' : 'Ask to join';
  return (
    <form className="form" onSubmit={(e) => void onSubmit(e)}>
      {children}
      {preview.lobby && !preview.participant && <p className="muted">Someone in the meeting will let you in.</p>}
      {guest && (
        <>
          <label>
            Your name
            <input name="displayName" required maxLength={64} autoComplete="name" />
          </label>
          <p className="muted">
            You will join as a guest. Have an account? <Link to={`/signin?next=${next}`}>Sign in</Link>
          </p>
        </>
      )}
      <button type="submit" className="button" disabled={busy}>
        {busy ? 'Asking…' : label}
      </button>
    </form>
  );
}
