import { useEffect, useRef } from 'react';

/** A <video> playing one track (muted: audio plays through AudioSinks). */
export function VideoView({ track, mirror = false, className, label }: { track: MediaStreamTrack; mirror?: boolean; className?: string; label: string }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    video.srcObject = new MediaStream([track]);
    void video.play().catch(() => undefined);
    return () => {
      video.srcObject = null;
    };
  }, [track]);
  return <video ref={ref} autoPlay playsInline muted aria-label={label} className={`${className ?? ''}${mirror ? ' mirror' : ''}`} />;
}
