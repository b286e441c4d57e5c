import { useRef } from 'react';
import { useTrackElement } from '../lib/use-track-element.ts';

/** A <video> playing one track (muted: audio plays through AudioSinks). */
export function VideoView({ track, mirror = false, className, label }: { track: MediaStreamTrack; mirror?: boolean; className?: string; label: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useTrackElement(ref, track);
  return <video ref={ref} autoPlay playsInline muted aria-label={label} className={`${className ?? ''}${mirror ? ' mirror' : ''}`} />;
}
