// `npm run server` runs the server under `sh -c`, and npm passes a SIGTERM it
// receives (from a supervisor, a test harness, `kill`) to that shell only. The
// shell dies of it without passing it on, and the server would run on, orphaned,
// holding its ports and its data directory's lock. So a server started by that
// script treats the end of its parent as the SIGTERM it was never sent.
// `exec` in the script would avoid the shell, but not under Windows' cmd.exe.

/** How often the parent is checked, in ms (an orphan stops within about this long). */
const CHECK_EVERY_MS = 250;

/** True when this process is the server of `npm run server` (npm names the running script). */
export function startedByNpmServerScript(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_lifecycle_event === 'server';
}

/**
 * Calls `onExit` once when this process's parent has exited: its parent pid changed
 * (the orphan was adopted by init or a subreaper). The check never keeps the process alive.
 */
export function whenParentExits(onExit: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onExit();
  }, CHECK_EVERY_MS);
  timer.unref();
}
