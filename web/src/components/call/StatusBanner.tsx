import { describeConnection, type ConnectionState } from '../../call/connection-machine.ts';
import type { MediaConnectionState } from '../../media/adapter.ts';

/** Says what the connection is doing while it is not simply "connected". */
export function StatusBanner({ connection, media, notice }: { connection: ConnectionState; media: MediaConnectionState; notice: string | null }) {
  let text: string | null = null;
  if (connection.phase !== 'connected') text = describeConnection(connection);
  else if (media === 'reconnecting') text = 'Media connection interrupted. Reconnecting…';
  return (
    <div className="status-area">
      <div role="status" aria-live="polite" className={text ? `banner ${connection.phase}` : 'visually-hidden'} data-testid="connection-status" data-phase={connection.phase}>
        {text ?? 'Connected'}
      </div>
      {notice && (
        <div role="alert" className="banner notice">
          {notice}
        </div>
      )}
    </div>
  );
}
