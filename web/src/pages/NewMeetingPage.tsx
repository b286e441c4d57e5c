import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api, apiErrorCode, apiErrorMessage } from '../api/client.ts';
import type { components } from '../api/schema.ts';
import { AppHeader } from '../components/AppHeader.tsx';
import { FormError } from '../components/FormError.tsx';
import { toLocalInputValue } from '../lib/format.ts';
import { usePageTitle } from '../lib/page-title.ts';

type UserSummary = components['schemas']['UserSummary'];

export function NewMeetingPage() {
  usePageTitle('New meeting');
  const navigate = useNavigate();
  const [invitees, setInvitees] = useState<UserSummary[]>([]);
  const [invitee, setInvitee] = useState('');
  const [inviteError, setInviteError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const addInvitee = async () => {
    const login = invitee.trim();
    if (!login) return;
    setInviteError(null);
    const { data, error: failed } = await api.GET('/api/v1/users/lookup', { params: { query: { login } } });
    if (failed || !data) {
      setInviteError(apiErrorCode(failed) === 'user_not_found' ? `No user "${login}".` : apiErrorMessage(failed));
      return;
    }
    setInvitees((current) => (current.some((u) => u.id === data.id) ? current : [...current, data]));
    setInvitee('');
  };

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    const { data, error: failed } = await api.POST('/api/v1/meetings', {
      body: {
        title: String(form.get('title')),
        startTime: new Date(String(form.get('startTime'))).toISOString(),
        duration: Number(form.get('duration')),
        invitedUserIds: invitees.map((u) => u.id),
      },
    });
    setBusy(false);
    if (failed || !data) {
      setError(apiErrorMessage(failed, 'Could not create the meeting.'));
      return;
    }
    navigate(`/meetings/${data.id}`);
  };

  return (
    <>
      <AppHeader />
      <main className="page narrow">
        <h1>New meeting</h1>
        <form onSubmit={onSubmit} className="form">
          <label>
            Title
            <input name="title" required maxLength={200} />
          </label>
          <label>
            Starts
            <input name="startTime" type="datetime-local" required defaultValue={toLocalInputValue(new Date())} />
          </label>
          <label>
            Duration (minutes)
            <input name="duration" type="number" required min={1} max={1440} defaultValue={30} />
          </label>
          <fieldset className="invitees">
            <legend>Invite people</legend>
            <div className="row">
              <label className="grow">
                Username or email
                <input
                  name="invitee"
                  value={invitee}
                  onChange={(e) => setInvitee(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault();
                      void addInvitee();
                    }
                  }}
                  maxLength={254}
                />
              </label>
              <button type="button" className="button secondary" onClick={() => void addInvitee()}>
                Add
              </button>
            </div>
            <FormError message={inviteError} />
            <ul className="chips" aria-label="Invited">
              {invitees.map((u) => (
                <li key={u.id} className="chip">
                  {u.fullName ?? u.username} <span className="muted">@{u.username}</span>
                  <button type="button" className="chip-remove" aria-label={`Remove ${u.username}`} onClick={() => setInvitees((c) => c.filter((x) => x.id !== u.id))}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          </fieldset>
          <FormError message={error} />
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Creating…' : 'Create meeting'}
          </button>
        </form>
      </main>
    </>
  );
}
