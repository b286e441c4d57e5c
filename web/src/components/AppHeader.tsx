import { Link, useNavigate } from 'react-router';
import { api, sessionStore } from '../api/client.ts';
import { useSession } from '../lib/use-session.ts';

/** The bar above every page outside a call: home link, who is signed in, sign out. */
export function AppHeader() {
  const session = useSession();
  const navigate = useNavigate();
  const signOut = async () => {
    await api.POST('/api/v1/auth/logout').catch(() => undefined);
    sessionStore.set(null);
    navigate('/signin');
  };
  return (
    <header className="app-header">
      <Link to="/" className="brand" aria-label="Huddle home">
        Huddle
      </Link>
      {session && (
        <nav aria-label="Account" className="app-header-nav">
          <span className="muted">Signed in as {session.user.fullName ?? session.user.username}</span>
          <button type="button" className="button secondary" onClick={signOut}>
            Sign out
          </button>
        </nav>
      )}
    </header>
  );
}
