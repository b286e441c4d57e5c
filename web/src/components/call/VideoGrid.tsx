import { useEffect, useState } from 'react';
import type { Participant } from '@huddle/protocol';
import type { RemoteTrackSnapshot } from '../../media/remote-tracks.ts';
import { orderTiles, pageOf } from './grid-layout.ts';
import { VideoTile } from './VideoTile.tsx';

/** Tiles per page: fewer on a phone-sized screen. */
function usePerPage(compact: boolean): number {
  const query = '(max-width: 640px)';
  const [phone, setPhone] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const onChange = () => setPhone(list.matches);
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, []);
  if (compact) return phone ? 2 : 4;
  return phone ? 4 : 9;
}

export interface VideoGridProps {
  self: Participant | null;
  selfCamera: MediaStreamTrack | null;
  selfCameraOff: boolean;
  others: Participant[];
  tracks: RemoteTrackSnapshot;
  activeSpeaker: string | null;
  /** A screen share takes the stage: the grid shrinks to a strip. */
  compact: boolean;
}

/** The people in the call, a page at a time, with the active speaker highlighted. */
export function VideoGrid({ self, selfCamera, selfCameraOff, others, tracks, activeSpeaker, compact }: VideoGridProps) {
  const perPage = usePerPage(compact);
  const [page, setPage] = useState(0);
  const ordered = orderTiles(self, others, activeSpeaker, perPage);
  const shown = pageOf(ordered, page, perPage);
  return (
    <section className={`grid-area${compact ? ' compact' : ''}`} aria-label="Participants' video">
      <div className={`grid grid-${Math.min(shown.tiles.length, perPage)}`}>
        {shown.tiles.map((p) => {
          const isSelf = p.userId === self?.userId;
          const remote = tracks.get(p.userId)?.camera;
          return (
            <VideoTile
              key={p.userId}
              participant={p}
              camera={isSelf ? (selfCamera ?? undefined) : remote?.track}
              cameraMuted={isSelf ? selfCameraOff : (remote?.muted ?? false)}
              speaking={activeSpeaker === p.userId}
              isSelf={isSelf}
            />
          );
        })}
      </div>
      {shown.pages > 1 && (
        <nav className="pager" aria-label="Grid pages">
          <button type="button" className="button secondary" onClick={() => setPage(shown.page - 1)} disabled={shown.page === 0} aria-label="Previous page of participants">
            ‹
          </button>
          <span aria-live="polite">
            Page {shown.page + 1} of {shown.pages}
          </span>
          <button type="button" className="button secondary" onClick={() => setPage(shown.page + 1)} disabled={shown.page === shown.pages - 1} aria-label="Next page of participants">
            ›
          </button>
        </nav>
      )}
    </section>
  );
}
