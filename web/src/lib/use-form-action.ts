import { useState, type FormEvent } from 'react';

/**
 * A form's submit handler with its busy flag and error message: `action` gets the
 * form's fields; a thrown Error's message is shown (FormError), and the form is not
 * busy any more either way.
 */
export function useFormAction(action: (form: FormData) => Promise<void>): {
  busy: boolean;
  error: string | null;
  onSubmit(event: FormEvent<HTMLFormElement>): Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await action(form);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, onSubmit };
}
