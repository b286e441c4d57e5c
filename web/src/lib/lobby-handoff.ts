import type { LocalSetup } from '../call/call-session.ts';

// The lobby opens the devices; the call page takes them over. In memory only: a reload
// of the call page goes back through the lobby (the browser asks for devices again).
const setups = new Map<string, LocalSetup>();

export const lobbyHandoff = {
  put(meetingId: string, setup: LocalSetup): void {
    setups.set(meetingId, setup);
  },
  get(meetingId: string): LocalSetup | undefined {
    return setups.get(meetingId);
  },
  /** The call started with it: forget it (a reload goes back through the lobby). */
  delete(meetingId: string): void {
    setups.delete(meetingId);
  },
};

// The end screen shows the talk time seen live until the stored summary arrives.
const endings = new Map<string, { reason: string; talkTime: { userId: string; name: string; talkTimeMs: number }[] }>();

export const callEnding = {
  put(meetingId: string, ending: { reason: string; talkTime: { userId: string; name: string; talkTimeMs: number }[] }): void {
    endings.set(meetingId, ending);
  },
  get(meetingId: string) {
    return endings.get(meetingId);
  },
};
