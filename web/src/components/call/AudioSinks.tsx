import { useRef } from 'react';
import { useTrackElement } from '../../lib/use-track-element.ts';
import type { RemoteTrack, RemoteTrackSnapshot } from '../../media/remote-tracks.ts';

function AudioSink({ track }: { track: MediaStreamTrack }) {
  const ref = useRef<HTMLAudioElement>(null);
  useTrackElement(ref, track);
  // Live speech has no caption track: the call's live captions (CaptionsBar) transcribe it.
  // biome-ignore lint/a11y/useMediaCaption: live audio, captioned by the captions bar
  return <audio ref={ref} autoPlay />;
}

/** Plays every remote microphone and screen-share audio, whatever page of the grid is shown. */
export function AudioSinks({ tracks }: { tracks: RemoteTrackSnapshot }) {
  const audio: RemoteTrack[] = [];
  for (const bySource of tracks.values()) {
    if (bySource.mic) audio.push(bySource.mic);
    if (bySource.screenAudio) audio.push(bySource.screenAudio);
  }
  return (
    <div hidden>
      {audio.map((t) => (
        <AudioSink key={`${t.userId}:${t.source}`} track={t.track} />
      ))}
    </div>
  );
}
