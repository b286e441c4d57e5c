import { z } from 'zod';
import { captionsSettingSchema } from './captions.ts';

// The settings keys of a meeting the system acts on (meetings.settings jsonb). The rest
// of the object stays free-form (the edge bounds its size, depth and keys). One schema
// for every typed key: the edge validates PATCH/POST bodies with it, the edge and the
// media node read stored settings through `resolveMeetingSettings`.

/**
 * Who may enter a meeting with its link (the meeting code):
 * - `invited`: only people the host invited by id (the default; the link shows nothing);
 * - `signed_in`: any signed-in user, through the lobby unless `lobby` is false;
 * - `guests`: also people without an account (a display name only), always through the lobby.
 */
export const entryModeValues = ['invited', 'signed_in', 'guests'] as const;
export type EntryMode = (typeof entryModeValues)[number];

/** The typed settings keys; each optional in a body (absent = its default). */
export const meetingSettingsShape = {
  /** Live captions (default true; false: no audio leaves the SFU for captions). */
  captions: captionsSettingSchema,
  /** Who may enter with the link (default `invited`). */
  entry: z.enum(entryModeValues),
  /** Link holders wait in the lobby until a host or cohost admits them (default true; guests always wait). */
  lobby: z.boolean(),
  /** No new entries with the link while set: no knocks, no admissions (default false). */
  locked: z.boolean(),
} as const;

/** Typed keys as a body sends them: each one optional, checked when present. */
export const meetingSettingsKnownSchema = z.object(meetingSettingsShape).partial();

/** Settings with every typed key resolved to its value or default. */
export interface ResolvedMeetingSettings {
  captions: boolean;
  entry: EntryMode;
  lobby: boolean;
  locked: boolean;
}

export const MEETING_SETTINGS_DEFAULTS: ResolvedMeetingSettings = { captions: true, entry: 'invited', lobby: true, locked: false };

/**
 * The typed keys of stored settings, each falling back to its default when absent or
 * of the wrong type (settings written before a key existed, or by hand): a bad stored
 * value never opens a meeting wider than the default does.
 */
export function resolveMeetingSettings(settings: unknown): ResolvedMeetingSettings {
  const stored = typeof settings === 'object' && settings !== null ? (settings as Record<string, unknown>) : {};
  const pick = <K extends keyof ResolvedMeetingSettings>(key: K): ResolvedMeetingSettings[K] => {
    const parsed = meetingSettingsShape[key].safeParse(stored[key]);
    return (parsed.success ? parsed.data : MEETING_SETTINGS_DEFAULTS[key]) as ResolvedMeetingSettings[K];
  };
  return { captions: pick('captions'), entry: pick('entry'), lobby: pick('lobby'), locked: pick('locked') };
}
