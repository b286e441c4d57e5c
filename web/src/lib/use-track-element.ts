import { useEffect, type RefObject } from 'react';

/** Plays `track` in the <video> or <audio> behind `ref` while mounted (and again when the track changes). */
export function useTrackElement(ref: RefObject<HTMLMediaElement | null>, track: MediaStreamTrack): void {
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    element.srcObject = new MediaStream([track]);
    void element.play().catch(() => undefined);
    return () => {
      element.srcObject = null;
    };
  }, [ref, track]);
}
