import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, apiErrorMessage, sessionStore } from '../api/client.ts';
import { sessionFromTokens } from '../api/auth-fetch.ts';
import { AppHeader } from '../components/AppHeader.tsx';
import { FormError } from '../components/FormError.tsx';
import { usePageTitle } from '../lib/page-title.ts';
import { useFormAction } from '../lib/use-form-action.ts';

/** Where to go after signing in: a local path from ?next=, else the meetings list. */
export function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/** Signs in with a username or email and returns the session (throws the API's message). */
export async function signIn(login: string, password: string): Promise<void> {
  const { data, error } = await api.POST('/api/v1/auth/login', { body: { login, password } });
  if (error || !data) throw new Error(apiErrorMessage(error, 'Could not sign in.'));
  sessionStore.set(sessionFromTokens(data));
}

export function SignInPage() {
  usePageTitle('Sign in');
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { busy, error, onSubmit } = useFormAction(async (form) => {
    await signIn(String(form.get('login')), String(form.get('password')));
    navigate(safeNext(params.get('next')), { replace: true });
  });

  return (
    <>
      <AppHeader />
      <main className="page narrow">
        <h1>Sign in</h1>
        <form onSubmit={onSubmit} className="form" aria-describedby="signin-help">
          <label>
            Username or email
            <input name="login" autoComplete="username" required maxLength={254} />
          </label>
          <label>
            Password
            <input name="password" type="password" autoComplete="current-password" required maxLength={128} />
          </label>
          <FormError message={error} />
          <button type="submit" className="button" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p id="signin-help">
          New here? <Link to={`/signup${params.get('next') ? `?next=${encodeURIComponent(params.get('next') ?? '')}` : ''}`}>Create an account</Link>
        </p>
      </main>
    </>
  );
}
