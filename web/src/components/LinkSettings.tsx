import { useState } from 'react';
import { api, apiErrorMessage } from '../api/client.ts';
import type { components } from '../api/schema.ts';
import { FormError } from './FormError.tsx';

type Meeting = components['schemas']['Meeting'];
type Entry = 'invited' | 'signed_in' | 'guests';

const entryLabels: Record<Entry, string> = {
  invited: 'Only people I invite',
  signed_in: 'Anyone signed in who has the link',
  guests: 'Anyone with the link, also without an account',
};

/** The link settings of stored settings (absent or odd values read as the defaults). */
export function linkSettingsOf(settings: Record<string, unknown>): { entry: Entry; lobby: boolean; locked: boolean } {
  const entry = settings.entry === 'signed_in' || settings.entry === 'guests' ? settings.entry : 'invited';
  return { entry, lobby: settings.lobby !== false, locked: settings.locked === true };
}

/**
 * The host's choice of who may enter with the link, whether they wait in the lobby, and
 * whether the meeting is locked. PATCH replaces settings as a whole, so the other keys
 * (captions, …) are sent back as they are.
 */
export function LinkSettings({ meeting, onSaved }: { meeting: Meeting; onSaved(meeting: Meeting): void }) {
  const current = linkSettingsOf(meeting.settings);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (change: Partial<typeof current>) => {
    setBusy(true);
    setError(null);
    const { data, error: failed } = await api.PATCH('/api/v1/meetings/{id}', {
      params: { path: { id: meeting.id } },
      body: { settings: { ...meeting.settings, ...current, ...change } },
    });
    setBusy(false);
    if (failed || !data) setError(apiErrorMessage(failed, 'Could not save the setting.'));
    else onSaved(data);
  };
  return (
    <fieldset className="form link-settings" disabled={busy}>
      <legend>Joining with the link</legend>
      <label>
        Who can join with the link
        <select value={current.entry} onChange={(e) => void save({ entry: e.target.value as Entry })}>
          {(Object.keys(entryLabels) as Entry[]).map((entry) => (
            <option key={entry} value={entry}>
              {entryLabels[entry]}
            </option>
          ))}
        </select>
      </label>
      <label className="check">
        <input type="checkbox" checked={current.lobby} onChange={(e) => void save({ lobby: e.target.checked })} disabled={current.entry === 'invited'} />
        Let people in from a lobby (guests always wait there)
      </label>
      <label className="check">
        <input type="checkbox" checked={current.locked} onChange={(e) => void save({ locked: e.target.checked })} />
        Lock the meeting: nobody new can join
      </label>
      <FormError message={error} />
    </fieldset>
  );
}
