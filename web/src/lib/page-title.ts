import { useEffect } from 'react';

/** Sets document.title to "{title} · Huddle" while the page is shown. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Huddle`;
  }, [title]);
}
