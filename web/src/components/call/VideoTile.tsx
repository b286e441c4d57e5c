import type { Participant } from '@huddle/protocol';
import { VideoView } from '../VideoView.tsx';

export interface TileProps {
  participant: Participant;
  /** The camera track to show (undefined or muted: the name card). */
  camera?: MediaStreamTrack | undefined;
  cameraMuted?: boolean;
  speaking: boolean;
  isSelf: boolean;
}

/** One person in the grid: video or name card, name, microphone state, raised hand, speaking ring. */
export function VideoTile({ participant, camera, cameraMuted = false, speaking, isSelf }: TileProps) {
  const name = isSelf ? `${participant.name} (you)` : participant.name;
  const showVideo = camera !== undefined && !cameraMuted && participant.media.video;
  return (
    <figure
      className={`tile${speaking ? ' speaking' : ''}`}
      data-testid="video-tile"
      data-user-id={participant.userId}
      data-speaking={speaking}
      aria-label={`${name}${speaking ? ', speaking' : ''}${participant.handRaised ? ', hand raised' : ''}${participant.media.audio ? '' : ', microphone off'}`}
    >
      {showVideo ? (
        <VideoView track={camera} mirror={isSelf} className="tile-video" label={`Video of ${name}`} />
      ) : (
        <div className="tile-avatar" aria-hidden="true">
          {participant.name.slice(0, 1).toUpperCase()}
        </div>
      )}
      <figcaption className="tile-caption">
        <span className="tile-name">{name}</span>
        {participant.role !== 'attendee' && <span className="badge">{participant.role}</span>}
        {!participant.media.audio && (
          <span className="icon" data-testid="mic-off" title="Microphone off">
            🔇
          </span>
        )}
        {participant.handRaised && (
          <span className="icon" data-testid="hand-raised" title="Hand raised">
            ✋
          </span>
        )}
      </figcaption>
    </figure>
  );
}
