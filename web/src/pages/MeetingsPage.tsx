import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, apiErrorMessage } from '../api/client.ts';
import type { components } from '../api/schema.ts';
import { AppHeader } from '../components/AppHeader.tsx';
import { FormError } from '../components/FormError.tsx';
import { formatDateTime } from '../lib/format.ts';
import { usePageTitle } from '../lib/page-title.ts';

type MeetingListItem = components['schemas']['MeetingListItem'];

export function MeetingsPage() {
  usePageTitle('Meetings');
  const [items, setItems] = useState<MeetingListItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async (after?: string) => {
    setLoading(true);
    const { data, error: failed } = await api.GET('/api/v1/meetings', { params: { query: { limit: 20, ...(after ? { cursor: after } : {}) } } });
    setLoading(false);
    if (failed || !data) {
      setError(apiErrorMessage(failed, 'Could not load your meetings.'));
      return;
    }
    setItems((current) => (after ? [...current, ...data.items] : data.items));
    setCursor(data.nextCursor);
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <AppHeader />
      <main className="page">
        <div className="page-heading">
          <h1>Your meetings</h1>
          <Link to="/meetings/new" className="button">
            New meeting
          </Link>
        </div>
        <FormError message={error} />
        {!loading && items.length === 0 && !error && <p className="muted">No meetings yet. Create one and invite people.</p>}
        <ul className="meeting-list" aria-busy={loading}>
          {items.map((m) => (
            <li key={m.id} className="card meeting-item">
              <Link to={`/meetings/${m.id}`} className="meeting-title">
                {m.title}
              </Link>
              <span className="muted">
                {formatDateTime(m.startTime)} · {m.duration} min · <span className={`status status-${m.status}`}>{m.status}</span>
                {m.membership.role !== 'attendee' && <> · {m.membership.role}</>}
              </span>
            </li>
          ))}
        </ul>
        {cursor && (
          <button type="button" className="button secondary" onClick={() => void load(cursor)} disabled={loading}>
            Show more
          </button>
        )}
      </main>
    </>
  );
}
