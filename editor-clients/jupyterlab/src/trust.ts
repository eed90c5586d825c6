/**
 * Trusting a notebook's cache store (issue 18): after a run whose cached components executed
 * because their entries are untrusted (imported from an archive, signed by another key), a
 * dialog names where they came from and offers "Trust and re-run" (`link.cache.trust`, then
 * the same run again, which restores them) or "Not now". Also the palette's "Trust the cache".
 */
import { Dialog, Notification, showDialog, showErrorMessage } from '@jupyterlab/apputils';

import type { NotebookLink } from './controller';
import type { IRunCache, ITrusted } from './protocol';

export const TRUST = 'Trust and re-run';
export const NOT_NOW = 'Not now';

/** The question: how many components, from where (each distinct origin once); undefined: none. */
export function trustPrompt(cache: IRunCache): string | undefined {
  const untrusted = cache.untrusted ?? [];
  if (!untrusted.length) {
    return undefined;
  }
  const reasons = [...new Set(untrusted.map(u => u.reason || 'not signed by your key'))];
  const n = untrusted.length;
  const what = n === 1 ? 'component is' : 'components are';
  const names = untrusted.map(u => u.name).join(', ');
  return (
    `${n} cached ${what} untrusted (${reasons.join('; ')}), so ${n === 1 ? 'it' : 'they'} ran ` +
    `again: ${names}. Trust this cache and re-run?`
  );
}

/** `link.cache.trust` for the notebook's store; one notification with the count. */
export async function trustCache(link: NotebookLink): Promise<ITrusted> {
  const r = await link.command<ITrusted>('link.cache.trust', {});
  const tail = r.refused > 0 ? `, ${r.refused} refused (altered)` : '';
  Notification.success(`link-ls: ${r.trusted} cache ${r.trusted === 1 ? 'entry' : 'entries'} trusted${tail}`, {
    autoClose: 8000
  });
  link.schedule(50);
  return r;
}

/** The palette command: trust without a run (errors in a dialog). */
export async function trustCommand(link: NotebookLink): Promise<void> {
  try {
    await trustCache(link);
  } catch (e) {
    void showErrorMessage('link-ls: trust the cache', String((e as Error).message ?? e));
  }
}

/**
 * After a run: warn about refused (altered) entries, and ask before trusting untrusted ones.
 * "Trust and re-run" trusts the store and calls `rerun`. Not awaited by runs.
 */
export async function offerTrust(link: NotebookLink, cache: IRunCache, rerun: () => Promise<void>): Promise<void> {
  const refused = cache.refused ?? [];
  if (refused.length) {
    Notification.warning(
      `link-ls: ${refused.map(u => u.name).join(', ')}: cache entry refused (altered after link-ls ` +
        'wrote it); executed instead',
      { autoClose: false }
    );
  }
  const prompt = trustPrompt(cache);
  if (prompt === undefined) {
    return;
  }
  const res = await showDialog({
    title: 'link-ls: untrusted cache',
    body: prompt,
    buttons: [Dialog.cancelButton({ label: NOT_NOW }), Dialog.warnButton({ label: TRUST })]
  });
  if (!res.button.accept) {
    return;
  }
  try {
    await trustCache(link);
  } catch (e) {
    void showErrorMessage('link-ls: trust the cache', String((e as Error).message ?? e));
    return;
  }
  await rerun();
}
