// Build the prebuilt JupyterLab extension into ../../link_ls/labextension with @jupyterlab/builder.
// The core package (shared module versions) is the installed Python jupyterlab's staging
// folder: `python` on PATH is the build's (pip's isolated build env, or the venv).
// Usage: node scripts/build-labextension.mjs [--development]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const python = process.env.LINK_LS_PYTHON || 'python';
const staging = execFileSync(
  python,
  ['-c', 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))'],
  { encoding: 'utf-8' }
).trim();
if (!existsSync(join(staging, 'package.json'))) {
  console.error(`link-ls: no JupyterLab core package at ${staging}`);
  process.exit(1);
}
const args = ['node_modules/@jupyterlab/builder/lib/build-labextension.js', '--core-path', staging];
if (process.argv.includes('--development')) {
  args.push('--development');
}
args.push('.');
execFileSync(process.execPath, args, { stdio: 'inherit' });
