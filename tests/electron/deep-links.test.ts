// chat:// links in the real app: a link on the command line fills in the sign-in screen's
// server, and a second launch with a link hands it to the running window (single-instance
// lock, second-instance argv) and exits.
import { spawn } from 'node:child_process';
import { appArgs, electronExecutable, electronMissing, expect, test } from './fixtures';

test.describe('chat:// links', () => {
  test.skip(electronMissing !== null, electronMissing ?? '');

  test.describe('on the command line', () => {
    test.use({ launchArgs: ['chat://join?server=127.0.0.1:47001'] });
    test('prefill the server to join', async ({ page }) => {
      await expect(page.getByTestId('server')).toHaveValue('127.0.0.1:47001');
    });
  });

  test('a second launch hands its link to the running window and exits', async ({ page, profile }) => {
    await expect(page.getByTestId('server')).toBeVisible();
    const second = spawn(electronExecutable!, appArgs(profile, ['chat://join?server=10.9.8.7:4001']), { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    expect(code).toBe(0);
    await expect(page.getByTestId('server')).toHaveValue('10.9.8.7:4001');
  });
});
