import { Navigate, Route, Routes, useLocation, useParams } from 'react-router';
import { guestStore } from './api/link-entry.ts';
import type { ReactNode } from 'react';
import { useSession } from './lib/use-session.ts';
import { CallPage } from './pages/CallPage.tsx';
import { EndedPage } from './pages/EndedPage.tsx';
import { JoinLinkPage } from './pages/JoinLinkPage.tsx';
import { LobbyPage } from './pages/LobbyPage.tsx';
import { MeetingPage } from './pages/MeetingPage.tsx';
import { MeetingsPage } from './pages/MeetingsPage.tsx';
import { NewMeetingPage } from './pages/NewMeetingPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { SignUpPage } from './pages/SignUpPage.tsx';

/** Pages that need a signed-in user send everyone else to sign in, and back afterwards. */
function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (!session) return <Navigate to={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return children;
}

/** The call's pages also serve a guest of that meeting (let in through its link in this tab). */
function RequireAuthOrGuest({ children }: { children: ReactNode }) {
  const { id = '' } = useParams();
  const session = useSession();
  if (!session && guestStore.get(id)) return children;
  return <RequireAuth>{children}</RequireAuth>;
}

export function App() {
  return (
    <Routes>
      <Route path="/signin" element={<SignInPage />} />
      <Route path="/signup" element={<SignUpPage />} />
      <Route path="/" element={<RequireAuth><MeetingsPage /></RequireAuth>} />
      <Route path="/meetings/new" element={<RequireAuth><NewMeetingPage /></RequireAuth>} />
      <Route path="/meetings/:id" element={<RequireAuth><MeetingPage /></RequireAuth>} />
      <Route path="/meetings/:id/lobby" element={<RequireAuthOrGuest><LobbyPage /></RequireAuthOrGuest>} />
      <Route path="/meetings/:id/call" element={<RequireAuthOrGuest><CallPage /></RequireAuthOrGuest>} />
      <Route path="/meetings/:id/ended" element={<RequireAuthOrGuest><EndedPage /></RequireAuthOrGuest>} />
      <Route path="/j/:code" element={<JoinLinkPage />} />
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}
